// The checks behind `npm run check:deploy`, as a pure function of plain data: the raw wrangler
// config (as wrangler reads it), the tenant hosts and modes, the deploy guide's text (docs/deploying.md). No I/O, no network.
// Plain Node ESM (Node 20 and 24); types in deploy-check.d.mts.

/** Secrets the worker needs in production, whatever the config declares (`wrangler secret put`). */
export const REQUIRED_SECRETS = ["CONSENT_SECRET"];

/** Vars that only make sense in development: set in a deployed config, they bypass the tenants. */
const DEV_ONLY_VARS = {
  ORIGIN: "sends every tenant to one origin (development and tests only)",
  DEV_TENANT: "serves loopback hosts as a tenant (npm start only)",
};

// D1 ids are UUIDs, KV namespace ids 32 hex digits: all zeros is the template's placeholder.
const PLACEHOLDER_ID = /^(?:0{8}-0{4}-0{4}-0{4}-0{12}|0{32})$/;

/**
 * A route's host and path: `"maia.opendatasoft.com/*"` → host and `/*`; a custom domain
 * (`custom_domain = true`, or a pattern without path) covers the whole host.
 */
export function parseRoute(route) {
  const pattern = typeof route === "string" ? route : route?.pattern;
  if (typeof pattern !== "string" || pattern.trim() === "") return null;
  const customDomain = typeof route === "object" && route.custom_domain === true;
  const bare = pattern.replace(/^https?:\/\//i, "");
  const slash = bare.indexOf("/");
  const host = (slash < 0 ? bare : bare.slice(0, slash)).toLowerCase().replace(/:\d+$/, "");
  const path = customDomain || slash < 0 ? "/*" : bare.slice(slash);
  const zone = typeof route === "object" ? (route.zone_name ?? undefined) : undefined;
  return { pattern, host, path, customDomain, zone };
}

function hostMatches(pattern, host) {
  if (!pattern.includes("*")) return pattern === host;
  const re = new RegExp(`^${pattern.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`);
  return re.test(host);
}

function underZone(host, zone) {
  const h = host.replace(/^\*\.?/, "");
  return h === zone || h.endsWith(`.${zone}`);
}

function routesOf(config) {
  const out = [];
  if (config.route !== undefined) out.push(config.route);
  if (Array.isArray(config.routes)) out.push(...config.routes);
  return out;
}

/**
 * @param {object} input
 * @param {Record<string, any>} input.config the raw wrangler config (top level, with `env`)
 * @param {Array<{ id: string, hosts: string[], mode?: string }>} input.tenants the tenant policies
 * @param {string} input.readme the deploy guide's text (docs/deploying.md: where the deploy steps and secrets are documented)
 * @param {(dir: string) => boolean} [input.exists] whether a path (relative to the config) exists
 * @returns {{ errors: string[], warnings: string[], notes: string[] }}
 */
export function checkDeployment({ config, tenants, readme, exists = () => true }) {
  const errors = [];
  const warnings = [];
  const notes = [];
  const hostOwner = new Map();
  for (const t of tenants) for (const h of t.hosts) hostOwner.set(h, t.id);

  const envs = [["", config]];
  for (const [name, env] of Object.entries(config.env ?? {})) envs.push([name, env]);
  let anyRoutes = false;

  for (const [envName, env] of envs) {
    const where = envName ? `[env.${envName}] ` : "";
    const routes = routesOf(env);
    // An env without routes of its own inherits none (wrangler does not inherit routes); skip it quietly.
    if (routes.length === 0) continue;
    anyRoutes = true;
    const covered = new Set();
    for (const raw of routes) {
      const r = parseRoute(raw);
      if (!r) {
        errors.push(`${where}route ${JSON.stringify(raw)}: no pattern`);
        continue;
      }
      if (r.zone && !underZone(r.host, r.zone.toLowerCase())) {
        errors.push(`${where}route "${r.pattern}": host ${r.host} is not in zone_name "${r.zone}"`);
      }
      if (r.host.includes("*")) {
        const matched = [...hostOwner.keys()].filter((h) => hostMatches(r.host, h));
        errors.push(
          `${where}route "${r.pattern}": a wildcard host sends every matching host to the worker, and each one without a policy gets 421 ` +
            `(list the tenant hosts instead${matched.length ? `: ${matched.join(", ")}` : ""})`,
        );
        for (const h of matched) covered.add(h);
        continue;
      }
      const owner = hostOwner.get(r.host);
      if (!owner) {
        errors.push(`${where}route "${r.pattern}": no tenant policy claims host ${r.host}, so every visitor gets 421 (add it to a tenant's hosts in policies/, or drop the route)`);
        continue;
      }
      if (r.path !== "/*" && r.path !== "*") {
        errors.push(`${where}route "${r.pattern}": covers only ${r.path} of ${r.host} (tenant ${owner}); the rest of the host is served without the worker, unfiltered (use "${r.host}/*")`);
        continue;
      }
      covered.add(r.host);
    }
    for (const [host, id] of hostOwner) {
      if (!covered.has(host)) {
        errors.push(`${where}tenant ${id}: host ${host} has no route, so it is served without the worker, unfiltered (add { pattern = "${host}/*", zone_name = "…" } to routes, or drop the host)`);
      }
    }
  }

  // Past this point: whether the config is ready for a real deploy. Without any route it is the
  // repository's template, and these are reminders, not failures.
  const deploying = anyRoutes;
  const problem = (msg) => (deploying ? errors : warnings).push(msg);
  if (!anyRoutes) {
    warnings.push("no routes in wrangler.toml: nothing to compare with the policies; add one route per tenant host before deploying (docs/deploying.md)");
  }

  for (const [envName, env] of envs) {
    const where = envName ? `[env.${envName}] ` : "";
    const vars = env.vars ?? {};
    for (const [name, why] of Object.entries(DEV_ONLY_VARS)) {
      if (typeof vars[name] === "string" && vars[name] !== "") errors.push(`${where}[vars] ${name} = "${vars[name]}" ${why}: empty it for a deploy`);
    }
    for (const db of env.d1_databases ?? []) {
      if (typeof db.database_id !== "string" || PLACEHOLDER_ID.test(db.database_id)) {
        problem(`${where}D1 binding ${db.binding}: database_id is the placeholder; run \`npx wrangler d1 create ${db.database_name ?? "consent-edge"}\` and put its id in wrangler.toml`);
      }
      if (db.migrations_dir && !exists(db.migrations_dir)) errors.push(`${where}D1 binding ${db.binding}: migrations_dir "${db.migrations_dir}" does not exist`);
    }
    // The policy source (src/policy-source/): KV holds what `npm run policies -- --push --remote` wrote.
    for (const kv of env.kv_namespaces ?? []) {
      if (typeof kv.id !== "string" || PLACEHOLDER_ID.test(kv.id)) {
        problem(`${where}KV binding ${kv.binding}: id is the placeholder; run \`npx wrangler kv namespace create consent-edge-policies\` and put its id in wrangler.toml (docs/scale.md)`);
      }
    }
  }

  const declared = Array.isArray(config.secrets?.required) ? config.secrets.required : [];
  const secrets = [...new Set([...REQUIRED_SECRETS, ...declared])];
  for (const name of secrets) {
    for (const [envName, env] of envs) {
      if (env.vars && Object.hasOwn(env.vars, name)) {
        errors.push(`${envName ? `[env.${envName}] ` : ""}[vars] ${name}: a secret in [vars] is stored and shown in plain text; remove it and use \`npx wrangler secret put ${name}\``);
      }
    }
    if (!readme.includes(`wrangler secret put ${name}`)) {
      errors.push(`secret ${name}: the deploy guide does not say how to set it (\`npx wrangler secret put ${name}\`)`);
    }
  }
  for (const step of ["wrangler deploy", "wrangler rollback"]) {
    if (!readme.includes(step)) errors.push(`deploy guide: it does not mention \`${step}\``);
  }

  for (const t of tenants) {
    if (t.mode === "report-only") notes.push(`tenant ${t.id} is in report-only mode: it logs what it would strip and changes nothing (docs/deploying.md: Rolling out)`);
  }
  if (anyRoutes && errors.length === 0) notes.push(`routes cover the ${hostOwner.size} tenant hosts and nothing else`);
  return { errors, warnings, notes };
}

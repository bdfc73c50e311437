/**
 * --suggest TENANT: the tenant's unknown cookies (the inventory's names its policy does not
 * declare), classified by the Open Cookie Database, as a policy fragment to review and paste into
 * policies/TENANT.json: one service per platform, its category mapped onto the categories the
 * tenant declares (the strictest category the database gives the platform or any of its cookies;
 * never "necessary": a suggestion never lets a cookie pass without consent),
 * the names or wildcard prefixes, the retention as duration. The fragment is validated with the
 * worker's own policy code, merged into the tenant's file, before it is printed.
 * `buildSuggestion` is pure; `suggestFragment` reads the database and policies/.
 */
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { loadPolicyCode } from "../policy-code.mjs";
import { categoryRank } from "../cookie-catalogue.mjs";
import { ReportError, d1Query, sqlString as q } from "./d1.mjs";

/** RFC 6265 cookie-name (a token), as the policy validator checks it. */
const COOKIE_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** The tenant categories tried in order for each rank; "necessary" never (it needs no consent). */
const TARGETS = { 4: ["marketing", "statistics", "functional"], 3: ["statistics", "marketing", "functional"], 2: ["functional", "statistics", "marketing"], 1: ["functional", "statistics", "marketing"] };

const slug = (s) => s.toLowerCase().normalize("NFKD").replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "") || "service";

/**
 * The fragment `{ services: [...] }` for `rows` (`{ name, count }`, the unknown names) under the
 * compiled `policy`, and notes for the operator (names left out and why, category choices).
 */
export function buildSuggestion(policy, rows, catalogue) {
  const notes = [];
  const declared = new Set(policy.categories.map((c) => c.id));
  const takenIds = new Set(policy.services.map((s) => s.id));
  const takenKeys = new Set(policy.services.map((s) => s.consentKey));
  const platforms = new Map();
  const owners = new Set();
  for (const { name } of rows) {
    if (policy.classify(name)) {
      notes.push(`${JSON.stringify(name)} is declared by the policy now (service ${policy.classify(name).service.id}): left out`);
      continue;
    }
    const hit = catalogue.classify(name);
    if (!hit) {
      notes.push(`${JSON.stringify(name)} is not in the Open Cookie Database: declare it by hand`);
      continue;
    }
    // The database's wildcard as a prefix; the seen name itself when the prefix is no cookie-name token.
    let cookie = hit.match === "prefix" ? { name: hit.name, prefix: true } : { name };
    if (!COOKIE_NAME.test(cookie.name)) cookie = { name };
    if (!COOKIE_NAME.test(cookie.name)) {
      notes.push(`${JSON.stringify(name)} is not a valid cookie name (RFC 6265 token): left out`);
      continue;
    }
    const owner = `${cookie.prefix ? "prefix " : ""}${cookie.name}`;
    if (owners.has(owner)) continue;
    owners.add(owner);
    // One service per platform, whatever the case of its name in the database ("CloudFlare", "Cloudflare").
    const key = hit.platform.toLowerCase();
    let p = platforms.get(key);
    if (!p) platforms.set(key, (p = { platform: hit.platform, controller: hit.controller, rank: 1, categories: new Set(), cookies: [] }));
    p.rank = Math.max(p.rank, categoryRank(hit.category), categoryRank(hit.platformCategory));
    p.categories.add(hit.platformCategory || hit.category || "no category");
    p.cookies.push({ ...cookie, duration: hit.retention || "not stated in the Open Cookie Database", purpose: hit.description || `Set by ${hit.platform}` });
  }

  const services = [];
  for (const p of [...platforms.values()].sort((a, b) => (a.platform < b.platform ? -1 : 1))) {
    const category = TARGETS[p.rank].find((c) => declared.has(c));
    const found = [...p.categories].join(", ");
    if (!category) {
      notes.push(`${p.platform} (${found}): the tenant declares no category that needs consent; left out`);
      continue;
    }
    if (p.rank > 1 && category !== TARGETS[p.rank][0]) notes.push(`${p.platform} is ${found} in the Open Cookie Database; the tenant declares no "${TARGETS[p.rank][0]}" category: suggested as "${category}"`);
    if (p.rank === 1) notes.push(`${p.platform} is ${found} in the Open Cookie Database; suggested as "${category}" (with consent): move it to a necessary service only if the portal cannot work without it`);
    let id = slug(p.platform);
    for (let n = 2; takenIds.has(id) || takenKeys.has(id); n++) id = `${slug(p.platform)}-${n}`;
    takenIds.add(id);
    takenKeys.add(id);
    const [first] = p.cookies;
    services.push({
      id,
      consentKey: id,
      category,
      provider: p.controller || p.platform,
      function: `${p.platform} (${found}, Open Cookie Database)`,
      purpose: first.purpose,
      cookies: p.cookies.map(({ purpose, ...c }) => (purpose === first.purpose ? c : { ...c, purpose })),
    });
  }
  return { fragment: { services }, notes };
}

/** The policy files of `dir` (base/*.json and the tenant files) as load.ts takes them. */
export async function readPolicyFiles(dir) {
  const read = async (sub) => {
    const names = (await readdir(path.join(dir, sub)).catch(() => [])).filter((n) => n.endsWith(".json") && n !== "policy.schema.json").sort();
    return Object.fromEntries(await Promise.all(names.map(async (n) => [n, JSON.parse(await readFile(path.join(dir, sub, n), "utf8"))])));
  };
  return { bases: await read("base"), tenants: await read("") };
}

/** The tenant file with the fragment's services appended to its own, as the operator would paste it. */
export function withFragment(tenantFile, fragment) {
  return { ...tenantFile, services: [...(Array.isArray(tenantFile.services) ? tenantFile.services : []), ...fragment.services] };
}

export async function suggestFragment(opts, root, catalogue) {
  const dir = path.join(root, "policies");
  const file = `${opts.suggest}.json`;
  const { bases, tenants } = await readPolicyFiles(dir);
  if (!tenants[file]) throw new ReportError(`no policy policies/${file}: --suggest needs the tenant's policy file`, 2);
  const { createRegistry, loadPolicies } = await loadPolicyCode();
  const policy = createRegistry(bases, tenants).byId(opts.suggest);
  const [rows] = await d1Query(
    opts,
    root,
    `SELECT name, sum(count) AS count FROM cookie_inventory WHERE tenant = ${q(opts.suggest)} AND service IS NULL AND source IN ('origin', 'visitor') GROUP BY name ORDER BY count DESC, name`,
  );
  const { fragment, notes } = buildSuggestion(policy, rows, catalogue);
  try {
    loadPolicies(bases, { ...tenants, [file]: withFragment(tenants[file], fragment) });
  } catch (err) {
    throw new ReportError(`the suggestion does not validate (a bug; please report it): ${err.message}`, 1);
  }
  if (rows.length === 0) notes.push(`no unknown cookies for ${opts.suggest} in the ${opts.remote ? "deployed" : "local"} database`);
  else notes.push(`${fragment.services.length} service(s) for ${rows.length} unknown name(s); append them to "services" in policies/${file} (validated merged into it), review, then run npm run policies`);
  return { fragment, notes };
}

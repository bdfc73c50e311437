#!/usr/bin/env node
// `npm run check:deploy`: before `wrangler deploy`, compares wrangler.toml with the tenant
// policies and the deploy guide (docs/deploying.md), offline. Every route must lead to a tenant host (else visitors get
// 421) and, once routes are declared, every tenant host must have a route covering all of it
// (else it is served without the worker, unfiltered); dev-only vars must be empty, the D1 id
// real, secrets documented and never in [vars]. Mismatches are named; exit 1 on any error.
// Options: --config <wrangler.toml> --policies <dir> --readme <docs/deploying.md> (defaults: this repo's).
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { checkDeployment } from "./lib/deploy-check.mjs";
import { loadPolicyCode } from "./lib/policy-code.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? resolve(args[i + 1]) : fallback;
};
const configPath = opt("--config", join(root, "wrangler.toml"));
const policiesDir = opt("--policies", join(root, "policies"));
const readmePath = opt("--readme", join(root, "docs/deploying.md"));
// The second policy source (docs/scale.md): `--kv local` or `--kv remote` adds the hosts pushed to
// POLICY_KV (`--persist-to <dir>` for another local state) to the comparison with the routes.
const kvArg = args.indexOf("--kv");
const kvWhere = kvArg >= 0 ? args[kvArg + 1] : undefined;
if (kvArg >= 0 && kvWhere !== "local" && kvWhere !== "remote") die("--kv takes local or remote");
const persistTo = opt("--persist-to", undefined);

function die(message) {
  console.error(`check:deploy: error: ${message}`);
  process.exit(1);
}

// wrangler's own reader: the same TOML (or JSON) parsing and env handling as `wrangler deploy`.
const { experimental_readRawConfig } = await import("wrangler");
let config;
try {
  ({ rawConfig: config } = experimental_readRawConfig({ config: configPath }));
} catch (e) {
  die(`${configPath}: ${e?.message ?? e}`);
}

// The tenants, validated by the worker's own registry (as scripts/policies.mjs does).
const { createRegistry } = await loadPolicyCode();
async function readJsonDir(dir) {
  const out = {};
  const names = (await readdir(dir).catch(() => [])).filter((n) => n.endsWith(".json") && n !== "policy.schema.json").sort();
  for (const name of names) {
    try {
      out[name] = JSON.parse(await readFile(join(dir, name), "utf8"));
    } catch (e) {
      die(`${join(dir, name)}: ${e.message} (run \`npm run policies\` for the line and column)`);
    }
  }
  return out;
}
let registry;
try {
  registry = createRegistry(await readJsonDir(join(policiesDir, "base")), await readJsonDir(policiesDir));
} catch (e) {
  if (e?.name !== "PolicyError") throw e;
  die(`policies/${e.file}: ${e.field || "(root)"}: ${e.reason}`);
}

const readme = await readFile(readmePath, "utf8").catch(() => "");
const configDir = dirname(configPath);
// Bundled tenants, then KV's: a host KV maps is served by KV's tenant (src/policy-source/).
const byId = new Map(registry.all.map((p) => [p.id, { id: p.id, hosts: [...p.hosts], mode: p.mode }]));
const kvNotes = [];
if (kvWhere) {
  const { listKeys } = await import("./lib/policy-push.mjs");
  let keys;
  try {
    keys = listKeys({ remote: kvWhere === "remote", persistTo });
  } catch (e) {
    die(`could not list POLICY_KV (${kvWhere}): ${e.message}`);
  }
  let kvHosts = 0;
  for (const k of keys) {
    const tenant = k.metadata?.tenant;
    if (!k.name.startsWith("host:") || typeof tenant !== "string") continue;
    const host = k.name.slice("host:".length);
    for (const t of byId.values()) t.hosts = t.hosts.filter((h) => h !== host);
    if (!byId.has(tenant)) byId.set(tenant, { id: tenant, hosts: [], mode: undefined });
    byId.get(tenant).hosts.push(host);
    kvHosts++;
  }
  kvNotes.push(`${kvHosts} host(s) from POLICY_KV (${kvWhere}) compared with the routes as well`);
} else {
  kvNotes.push("tenants pushed to POLICY_KV are not compared with the routes: add `-- --kv remote` (or `--kv local`) to include them (docs/scale.md)");
}
const { errors, warnings, notes } = checkDeployment({
  config,
  tenants: [...byId.values()].filter((t) => t.hosts.length > 0),
  readme,
  exists: (p) => existsSync(resolve(configDir, p)),
});
for (const w of warnings) console.log(`check:deploy: warning: ${w}`);
for (const n of [...notes, ...kvNotes]) console.log(`check:deploy: ${n}`);
for (const e of errors) console.error(`check:deploy: error: ${e}`);
console.log(`check:deploy: ${errors.length} error(s), ${warnings.length} warning(s), ${byId.size} tenant(s)`);
process.exit(errors.length ? 1 : 0);

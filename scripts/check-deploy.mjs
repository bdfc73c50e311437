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
const { errors, warnings, notes } = checkDeployment({
  config,
  tenants: registry.all.map((p) => ({ id: p.id, hosts: [...p.hosts], mode: p.mode })),
  readme,
  exists: (p) => existsSync(resolve(configDir, p)),
});
for (const w of warnings) console.log(`check:deploy: warning: ${w}`);
for (const n of notes) console.log(`check:deploy: ${n}`);
for (const e of errors) console.error(`check:deploy: error: ${e}`);
console.log(`check:deploy: ${errors.length} error(s), ${warnings.length} warning(s), ${registry.all.length} tenant(s)`);
process.exit(errors.length ? 1 : 0);

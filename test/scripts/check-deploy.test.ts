// npm run check:deploy against fixture configs (test/fixtures/deploy/) and a copy of the
// policies with the sixth tenant of policies/README.md (two hosts, one a custom domain): the
// mismatches an operator makes are each named, a correct config passes (its routes are derived
// from the policies checked, so an operator's own tenant files get theirs too), the repository's
// own template passes with reminders. The pure checks are also tested on plain data.
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { checkDeployment, parseRoute } from "../../scripts/lib/deploy-check.mjs";
import { loadPolicyCode } from "../../scripts/lib/policy-code.mjs";
import { copyPolicies, documentedTenant, ROOT, runNode, tempDir } from "./tmp-repo";

const SCRIPT = join(ROOT, "scripts/check-deploy.mjs");
const FIXTURES = join(ROOT, "test/fixtures/deploy");
const README = "Run `npx wrangler secret put CONSENT_SECRET`, then `npx wrangler deploy`; undo with `npx wrangler rollback`.";
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function policiesWithSixth(): Promise<string> {
  const tmp = await tempDir("deploy");
  cleanups.push(tmp.cleanup);
  const dir = await copyPolicies(tmp.dir);
  const [file, text] = await documentedTenant(await readFile(join(ROOT, "policies/README.md"), "utf8"));
  await writeFile(join(dir, file), text);
  return dir;
}

/** Every tenant host of a policies folder, read with the worker's own registry (as check:deploy reads them). */
async function tenantHosts(policies: string): Promise<string[]> {
  const { createRegistry } = await loadPolicyCode();
  const readDir = async (dir: string) => {
    const out: Record<string, unknown> = {};
    for (const name of (await readdir(dir)).filter((n) => n.endsWith(".json") && n !== "policy.schema.json")) out[name] = JSON.parse(await readFile(join(dir, name), "utf8"));
    return out;
  };
  return createRegistry(await readDir(join(policies, "base")), await readDir(policies)).all.flatMap((p) => [...p.hosts]);
}

/**
 * test/fixtures/deploy/good.toml with one route per tenant host of `policies`, whichever tenants
 * they hold: under opendatasoft.com in that zone, a custom domain otherwise. Written to a
 * temporary folder; returns its path.
 */
async function goodConfigFor(policies: string): Promise<{ config: string; hosts: string[] }> {
  const hosts = await tenantHosts(policies);
  const route = (h: string) => (h.endsWith(".opendatasoft.com") ? `{ pattern = "${h}/*", zone_name = "opendatasoft.com" }` : `{ pattern = "${h}", custom_domain = true }`);
  const tmp = await tempDir("deploy-config");
  cleanups.push(tmp.cleanup);
  const config = join(tmp.dir, "wrangler.toml");
  const fixture = (await readFile(join(FIXTURES, "good.toml"), "utf8")).replace(/^main = .*$/m, `main = ${JSON.stringify(join(ROOT, "src/index.ts"))}`);
  await writeFile(config, `routes = [\n${hosts.map((h) => `  ${route(h)},`).join("\n")}\n]\n${fixture}`);
  return { config, hosts };
}

const run = (config: string, policies: string, readme = join(ROOT, "docs/deploying.md")) =>
  runNode([SCRIPT, "--config", resolve(FIXTURES, config), "--policies", policies, "--readme", readme], { timeoutMs: 90_000 });

describe("npm run check:deploy", { timeout: 120_000 }, () => {
  it("passes a config whose routes are exactly the tenant hosts", async () => {
    const policies = await policiesWithSixth();
    const { config, hosts } = await goodConfigFor(policies);
    // The seed tenants and both hosts of the documented one are among them.
    expect(hosts).toEqual(expect.arrayContaining(["maia.opendatasoft.com", "data.example.org", "opendata-example.opendatasoft.com"]));
    const r = await run(config, policies);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`check:deploy: routes cover the ${hosts.length} tenant hosts and nothing else`);
  });

  it("with --kv local, also needs a route for a host pushed to KV, and passes once it has one", { timeout: 400_000 }, async () => {
    const policies = await policiesWithSixth();
    const { config } = await goodConfigFor(policies);
    // A tenant only KV knows: pushed from a copy of the folder with one more file.
    const tmp = await tempDir("deploy-kv");
    cleanups.push(tmp.cleanup);
    const pushed = await copyPolicies(tmp.dir);
    await writeFile(join(pushed, "kv-only.json"), JSON.stringify({ extends: "opendatasoft", id: "kv-only", hosts: ["kv-only.opendatasoft.com"], siteUrl: "https://kv-only.opendatasoft.com" }));
    const state = join(tmp.dir, "state");
    const push = await runNode([join(ROOT, "scripts/policies.mjs"), "--dir", pushed, "--push", "--persist-to", state], { timeoutMs: 90_000 });
    expect(push.code, push.stderr).toBe(0);
    const withKv = (c: string) => runNode([SCRIPT, "--config", c, "--policies", policies, "--kv", "local", "--persist-to", state], { timeoutMs: 90_000 });
    const missing = await withKv(config);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/tenant kv-only: host kv-only\.opendatasoft\.com has no route/);
    await writeFile(config, (await readFile(config, "utf8")).replace("routes = [\n", 'routes = [\n  { pattern = "kv-only.opendatasoft.com/*", zone_name = "opendatasoft.com" },\n'));
    const covered = await withKv(config);
    expect(covered.stderr).toBe("");
    expect(covered.code).toBe(0);
    expect(covered.stdout).toMatch(/check:deploy: \d+ host\(s\) from POLICY_KV \(local\) compared with the routes as well/);
    // Without --kv the check says what it left out.
    expect((await run(config, policies)).stdout).toContain("tenants pushed to POLICY_KV are not compared with the routes");
  });

  it("fails the same config once one tenant host has no route", async () => {
    const policies = await policiesWithSixth();
    const { config } = await goodConfigFor(policies);
    const text = await readFile(config, "utf8");
    await writeFile(config, text.replace(/^  \{ pattern = "data\.example\.org".*\n/m, ""));
    const r = await run(config, policies);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/tenant opendata-example: host data\.example\.org has no route/);
  });

  it("names every mismatch and fails", async () => {
    const r = await run("mismatched.toml", await policiesWithSixth());
    expect(r.code).toBe(1);
    const errors = r.stderr.split("\n").filter((l) => l.startsWith("check:deploy: error: "));
    const expected = [
      /route "typo-maia\.opendatasoft\.com\/\*": no tenant policy claims host typo-maia\.opendatasoft\.com, so every visitor gets 421/,
      /route "inai\.opendatasoft\.com\/explore\/\*": covers only \/explore\/\* of inai\.opendatasoft\.com \(tenant inai\)/,
      /route "\*\.example\.net\/\*": a wildcard host/,
      /route "data\.example\.org\/\*": host data\.example\.org is not in zone_name "opendatasoft\.com"/,
      /tenant interpolilli: host interpolilli\.opendatasoft\.com has no route/,
      /tenant opendata-example: host opendata-example\.opendatasoft\.com has no route/,
      /\[vars\] ORIGIN = "http:\/\/127\.0\.0\.1:9000" sends every tenant to one origin/,
      /\[vars\] DEV_TENANT = "maia"/,
      /D1 binding DB: database_id is the placeholder/,
      /\[vars\] CONSENT_SECRET: a secret in \[vars\] is stored and shown in plain text/,
    ];
    for (const re of expected) expect(errors.some((l) => re.test(l)), String(re)).toBe(true);
    // maia is routed.
    expect(errors.some((l) => /tenant maia: host/.test(l))).toBe(false);
  });

  it("passes the repository's own config (no routes yet) with reminders", async () => {
    const r = await runNode([SCRIPT], { timeoutMs: 90_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("warning: no routes in wrangler.toml");
  });

  it("fails when the deploy guide does not say how to set the secret or roll back", async () => {
    const tmp = await tempDir("readme");
    cleanups.push(tmp.cleanup);
    const readme = join(tmp.dir, "README.md");
    await writeFile(readme, "Deploy with wrangler deploy.");
    const r = await run("template.toml", join(ROOT, "policies"), readme);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("secret CONSENT_SECRET: the deploy guide does not say how to set it");
    expect(r.stderr).toContain("does not mention `wrangler rollback`");
  });

  it("compares each environment's routes on its own", async () => {
    const r = await run("staging.toml", join(ROOT, "policies"));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/\[env\.staging\] route "maia-staging\.opendatasoft\.com\/\*": no tenant policy claims host/);
    expect(r.stderr).toMatch(/\[env\.staging\] tenant maia: host maia\.opendatasoft\.com has no route/);
    expect(r.stderr).not.toMatch(/^check:deploy: error: tenant maia/m);
  });
});

describe("checkDeployment (pure)", () => {
  const tenants = [
    { id: "maia", hosts: ["maia.opendatasoft.com"] },
    { id: "data-example", hosts: ["data.example.org"], mode: "report-only" },
  ];

  it("reads routes as wrangler writes them", () => {
    expect(parseRoute("maia.opendatasoft.com/*")).toMatchObject({ host: "maia.opendatasoft.com", path: "/*" });
    expect(parseRoute({ pattern: "data.example.org", custom_domain: true })).toMatchObject({ host: "data.example.org", path: "/*", customDomain: true });
    expect(parseRoute({ pattern: "https://Maia.opendatasoft.com:443/a*", zone_name: "opendatasoft.com" })).toMatchObject({ host: "maia.opendatasoft.com", path: "/a*", zone: "opendatasoft.com" });
    expect(parseRoute({})).toBeNull();
  });

  it("accepts matching routes and notes a tenant in report-only mode", () => {
    const config = { routes: ["maia.opendatasoft.com/*", { pattern: "data.example.org", custom_domain: true }] };
    const r = checkDeployment({ config, tenants, readme: README });
    expect(r.errors).toEqual([]);
    expect(r.notes.join("\n")).toContain("tenant data-example is in report-only mode");
  });

  it("fails a route that no tenant claims, and a tenant host with no route", () => {
    const r = checkDeployment({ config: { routes: ["maia.opendatasoft.com/*", "other.example.org/*"] }, tenants, readme: README });
    expect(r.errors).toEqual([
      expect.stringContaining('route "other.example.org/*": no tenant policy claims host other.example.org'),
      expect.stringContaining("tenant data-example: host data.example.org has no route"),
    ]);
  });

  it("fails a missing migrations_dir and never asks the network", () => {
    const config = { routes: ["maia.opendatasoft.com/*", "data.example.org/*"], d1_databases: [{ binding: "DB", database_id: "3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b", migrations_dir: "nope" }] };
    const r = checkDeployment({ config, tenants, readme: README, exists: () => false });
    expect(r.errors).toEqual([expect.stringContaining('migrations_dir "nope" does not exist')]);
  });
});

// What the worker ships instead of the policy files and the validator: the module
// scripts/lib/shipped-policies.mjs writes gives back exactly the data it was given (shared parts
// and odd keys included), the worker's policy module refuses to load a damaged copy, and
// `npm run policies -- --check` names a hand-edited one.
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { build, type Plugin } from "esbuild";
import { afterEach, describe, expect, it } from "vitest";
import { loadPolicyCode } from "../../scripts/lib/policy-code.mjs";
import { shippedModule } from "../../scripts/lib/shipped-policies.mjs";
import { copyRepo, ROOT, runNode, tempDir } from "./tmp-repo";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const GENERATED = join(ROOT, "src/policy/shipped.generated.ts");

/** Bundles `entry` for Node with src/policy/shipped.generated.ts replaced by `generated`, and imports it. */
async function importWith(entry: string, generated: string): Promise<Record<string, unknown>> {
  const swap: Plugin = {
    name: "swap-generated",
    setup(b) {
      b.onLoad({ filter: /shipped\.generated\.ts$/ }, () => ({ contents: generated, loader: "ts" }));
    },
  };
  const out = await build({
    stdin: { contents: entry, resolveDir: ROOT, loader: "ts" },
    bundle: true,
    write: false,
    format: "esm",
    platform: "node",
    logLevel: "silent",
    plugins: [swap],
  });
  return import(`data:text/javascript;base64,${Buffer.from(out.outputFiles[0].text).toString("base64")}`);
}

describe("shippedModule", () => {
  it("writes data that reads back identical, each shared part once", async () => {
    const { policyChecksum } = await loadPolicyCode();
    const shared = { en: "13 months", fr: "13 mois", "needs quotes": "\u2028 ' \" \\ </script>" };
    const services = [{ id: "a", cookies: [{ name: "x", duration: shared }, { name: "y", duration: shared }] }];
    const data = [
      // As JSON.parse reads a file: "__proto__" is an own key there, not the object's prototype.
      { id: "one", services, parentDomains: JSON.parse('{"__proto__":"p.example","0":"zero","a.b":"c"}'), empty: {}, list: [] },
      { id: "two", services, title: shared, n: 0.25, t: true, z: null },
    ];
    const text = shippedModule(data, policyChecksum(data));
    // The services list is named once and used twice; the duration once.
    expect(text.match(/^const shared\d+ = /gm)).toHaveLength(2);
    const mod = await importWith('export { POLICY_DATA, POLICY_CHECKSUM } from "./src/policy/shipped.generated.ts";', text);
    expect(JSON.stringify(mod.POLICY_DATA)).toBe(JSON.stringify(data));
    expect(mod.POLICY_DATA).toEqual(data);
    const parents = (mod.POLICY_DATA as typeof data)[0].parentDomains;
    expect(Object.hasOwn(parents, "__proto__")).toBe(true);
    expect(Object.getPrototypeOf(parents)).toBe(Object.prototype);
    expect(mod.POLICY_CHECKSUM).toBe(policyChecksum(data));
  });
});

describe("the worker's policy module at start-up", () => {
  const entry = 'export { POLICIES } from "./src/policy/index.ts";';

  it("loads the generated file as written", async () => {
    const mod = await importWith(entry, await readFile(GENERATED, "utf8"));
    expect((mod.POLICIES as { all: unknown[] }).all.length).toBeGreaterThan(0);
  });

  it.each([
    ["a value edited by hand", (t: string) => t.replace(/"enforce"/, '"off"')],
    ["a line lost in a merge", (t: string) => t.replace(/^ {6}"[a-z-]+\.opendatasoft\.com",\n/m, "")],
  ])("refuses a damaged generated file with a clear error: %s", async (_, damage) => {
    const text = await readFile(GENERATED, "utf8");
    const damaged = damage(text);
    expect(damaged).not.toBe(text);
    await expect(importWith(entry, damaged)).rejects.toThrow(/shipped\.generated\.ts does not match its checksum .* run `npm run policies`/);
  });
});

describe("npm run policies -- --check", () => {
  it("names a hand-edited shipped.generated.ts, and a plain run rewrites it", { timeout: 120_000 }, async () => {
    const tmp = await tempDir("shipped");
    cleanups.push(tmp.cleanup);
    const repo = await copyRepo(tmp.dir);
    const file = join(repo, "src/policy/shipped.generated.ts");
    const original = await readFile(file, "utf8");
    await writeFile(file, original.replace(/"enforce"/, '"off"'));
    const check = await runNode(["scripts/policies.mjs", "--check"], { cwd: repo });
    expect(check.code).toBe(1);
    expect(check.stderr).toContain("src/policy/shipped.generated.ts is out of date: run `npm run policies`");
    const run = await runNode(["scripts/policies.mjs"], { cwd: repo });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("policies: wrote src/policy/shipped.generated.ts");
    expect(await readFile(file, "utf8")).toBe(original);
  });
});

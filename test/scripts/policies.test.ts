// scripts/policies.mjs over an operator's policies folder: a sixth tenant added exactly as
// policies/README.md shows validates, and the tenant-iterating tests stay green in a copy of
// the repository that holds it; a host claimed twice names the file that came second; a JSON
// syntax error names its line and column.
import { readFile, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { copyPolicies, copyRepo, documentedTenant, listJson, ROOT, runNode, tempDir } from "./tmp-repo";

const SCRIPT = join(ROOT, "scripts/policies.mjs");
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function policiesCopy() {
  const tmp = await tempDir("policies");
  cleanups.push(tmp.cleanup);
  return copyPolicies(tmp.dir);
}

/** Sets a file's modification time `secondsFromNow` away, so the test decides which file is newer. */
async function age(path: string, secondsFromNow: number) {
  const t = new Date(Date.now() + secondsFromNow * 1000);
  await utimes(path, t, t);
}

describe("scripts/policies.mjs --dir", () => {
  it("accepts a sixth tenant written as policies/README.md shows", async () => {
    const dir = await policiesCopy();
    const before = (await listJson(dir)).length;
    const [file, text] = await documentedTenant(await readFile(join(ROOT, "policies/README.md"), "utf8"));
    await writeFile(join(dir, file), text);
    const run = await runNode([SCRIPT, "--dir", dir]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`policies: ${before + 1} tenants`);
  });

  it("names the file that claimed a host second, and the file that holds it", async () => {
    const dir = await policiesCopy();
    // Sorts before maia.json, but is the newer file: it is the one to blame.
    const newcomer = join(dir, "aaa-new.json");
    await writeFile(newcomer, JSON.stringify({ extends: "opendatasoft", id: "aaa-new", hosts: ["aaa.example.test", "maia.opendatasoft.com"], siteUrl: "https://aaa.example.test" }));
    for (const name of await listJson(dir)) if (name !== "aaa-new.json") await age(join(dir, name), -3600);
    await age(newcomer, 0);
    const run = await runNode([SCRIPT, "--dir", dir]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`${dir}/aaa-new.json: hosts[1]: host "maia.opendatasoft.com" is already claimed by maia.json`);

    // The other way round: the old file edited last is the one named.
    await age(newcomer, -7200);
    await age(join(dir, "maia.json"), 0);
    const again = await runNode([SCRIPT, "--dir", dir]);
    expect(again.stderr).toContain(`${dir}/maia.json: hosts[0]: host "maia.opendatasoft.com" is already claimed by aaa-new.json`);
  });

  it.each([
    ["missing comma", '{\n  "id": "x",\n  "hosts": ["x.example.test"]\n  "siteUrl": "https://x.example.test"\n}\n', 4, 3, /',' or '}' was expected/],
    ["trailing comma (no position from JSON.parse)", '{\n  "hosts": [\n    "x.example.test",\n  ]\n}\n', 4, 3, /trailing comma/],
    ["single quotes", "{\n  'id': 'x'\n}\n", 2, 3, /double quotes/],
    ["unterminated string", '{\n  "id": "x\n}\n', 2, 11, /line break inside a string/],
    ["truncated file", '{\n  "id": "x",\n', 3, 1, /end of file/],
  ])("names the line and column of a JSON syntax error: %s", async (_, text, line, column, reason) => {
    const dir = await policiesCopy();
    await writeFile(join(dir, "broken.json"), text);
    const run = await runNode([SCRIPT, "--dir", dir]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`${dir}/broken.json:${line}:${column}: invalid JSON: `);
    expect(run.stderr).toContain(`(line ${line}, column ${column})`);
    expect(run.stderr).toMatch(reason);
  });

  it("generates nothing for another folder", async () => {
    const dir = await policiesCopy();
    const generated = await readFile(join(ROOT, "src/policy/bundled.generated.ts"), "utf8");
    await writeFile(join(dir, "zz-extra.json"), JSON.stringify({ extends: "opendatasoft", id: "zz-extra", hosts: ["zz.example.test"], siteUrl: "https://zz.example.test" }));
    expect((await runNode([SCRIPT, "--dir", dir])).code).toBe(0);
    expect(await readFile(join(ROOT, "src/policy/bundled.generated.ts"), "utf8")).toBe(generated);
  });
});

describe("a sixth tenant in a copy of the repository", () => {
  it("keeps the build and the tenant-iterating tests green", { timeout: 300_000 }, async () => {
    const tmp = await tempDir("repo");
    cleanups.push(tmp.cleanup);
    const repo = await copyRepo(tmp.dir);
    const [file, text] = await documentedTenant(await readFile(join(repo, "policies/README.md"), "utf8"));
    await writeFile(join(repo, "policies", file), text);

    const build = await runNode(["scripts/policies.mjs"], { cwd: repo });
    expect(build.stderr).toBe("");
    expect(build.stdout).toContain("wrote src/policy/bundled.generated.ts");
    expect(await readFile(join(repo, "src/policy/bundled.generated.ts"), "utf8")).toContain(`"${file}"`);

    // The tests that go over every tenant, and the ones that used to count them.
    const vitest = join(repo, "node_modules/vitest/vitest.mjs");
    const run = await runNode(
      [vitest, "run", "--reporter=verbose", "--project", "workers", "test/pages/tenants.test.ts", "test/policy", "test/integration/infrastructure-cookies.test.ts", "test/abuse/injection.test.ts"],
      { cwd: repo, timeoutMs: 280_000, env: { CI: "true", CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" } },
    );
    const summary = /Tests\s+(.*)/.exec(run.stdout.replace(/\x1b\[[0-9;]*m/g, ""))?.[1] ?? run.stdout.slice(-2000) + run.stderr.slice(-2000);
    expect(run.code, summary).toBe(0);
    expect(summary).toMatch(/\d+ passed/);
    expect(summary).not.toMatch(/failed/);
    // The sixth tenant was among the tenants tested.
    expect(run.stdout).toContain(`tenant ${file.replace(/\.json$/, "")}`);
  });
});

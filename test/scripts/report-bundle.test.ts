// What only the operator runs stays out of the worker: the dry-run bundle's esbuild metafile
// names no input from scripts/ (the report, the Open Cookie Database) nor from the report's
// libraries (echarts, zrender, csv-parse, csv-stringify, axe-core).
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "../..");

it("the worker's bundle holds nothing of the report", () => {
  const out = mkdtempSync(path.join(tmpdir(), "consent-edge-bundle-"));
  try {
    const env = { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", NO_COLOR: "1" };
    const r = spawnSync("npx", ["wrangler", "deploy", "--dry-run", "--outdir", out, "--metafile", path.join(out, "meta.json")], { cwd: ROOT, env, encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    const inputs = Object.keys(JSON.parse(readFileSync(path.join(out, "meta.json"), "utf8")).inputs);
    // The check looks at real inputs: the worker's own modules are there.
    expect(inputs).toEqual(expect.arrayContaining([expect.stringMatching(/^src\/inventory\/tally\.ts$/)]));
    expect(inputs.filter((i) => /(^|\/)scripts\/|node_modules\/(echarts|zrender|csv-parse|csv-stringify|axe-core)\//.test(i))).toEqual([]);
    const bundle = readFileSync(path.join(out, "index.js"), "utf8");
    expect(bundle).not.toMatch(/Open Cookie Database|_hjSessionUser_|echarts/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}, 120_000);

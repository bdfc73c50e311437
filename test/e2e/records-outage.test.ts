// No proof of consent lost, on the real local stack: wrangler dev with its queues and D1, the
// database made unwritable (consent_records renamed away) while visitors choose, then repaired.
// Every choice answers at once; every record is in D1 once it recovers, none twice; the records
// that exhausted the queue's retries went through the dead-letter queue, and the report shows
// them. A copy of wrangler.toml with short queue timings (2 retries, 1 s batches) keeps it quick.
import { spawnSync } from "node:child_process";
import { request as httpRequest } from "node:http";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../scripts/tmp-repo";
import { startStack, type Stack } from "./stack";

const ENV = { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false", CI: "true", NO_COLOR: "1" };
let dir: string;
let state: string;
let config: string;
let stack: Stack | undefined;

/** The repository's wrangler.toml with absolute paths, no build step, and short queue timings. */
function quickConfig(): string {
  let toml = readFileSync(path.join(ROOT, "wrangler.toml"), "utf8");
  toml = toml.replace(/^main = .*$/m, `main = ${JSON.stringify(path.join(ROOT, "src/index.ts"))}`);
  toml = toml.replace(/^migrations_dir = .*$/m, `migrations_dir = ${JSON.stringify(path.join(ROOT, "migrations"))}`);
  toml = toml.replace(/\n\[build\][\s\S]*$/, "\n");
  toml = toml.replace(/^max_batch_timeout = \d+$/gm, "max_batch_timeout = 1");
  toml = toml.replace(/^max_retries = 12$/m, "max_retries = 2");
  expect(toml).toMatch(/max_retries = 2\n/);
  const file = path.join(dir, "wrangler.toml");
  writeFileSync(file, toml);
  return file;
}

function d1(sql: string): Array<Record<string, unknown>> {
  const r = spawnSync("npx", ["wrangler", "d1", "execute", "DB", "--local", "--persist-to", state, "--config", config, "--json", "--command", sql], { cwd: ROOT, env: ENV, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`d1 execute failed: ${r.stdout}${r.stderr}`);
  return JSON.parse(r.stdout)[0].results;
}

/** A plain form post of a choice (node:http: fetch cannot say Sec-Fetch-Mode: navigate); resolves with the status and the ms it took. */
function choose(action: "accept" | "refuse"): Promise<{ status: number; ms: number }> {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${stack!.url}/cookies`, { method: "POST", agent: false, headers: { "content-type": "application/x-www-form-urlencoded", "sec-fetch-mode": "navigate" } }, (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode ?? 0, ms: Date.now() - start }));
    });
    req.on("error", (e) => reject(new Error(`${e.message}\n${stack?.logs().slice(-3000)}`)));
    req.end(`action=${action}&from=banner`);
  });
}

async function until<T>(what: string, withinMs: number, probe: () => T | undefined): Promise<T> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${withinMs} ms\n${stack?.logs().slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

const count = () => Number(d1("SELECT count(*) AS n FROM consent_records")[0].n);
let answers: Array<{ status: number; ms: number }> = [];

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "consent-edge-outage-"));
  state = path.join(dir, "state");
  config = quickConfig();
  const migrate = spawnSync("npx", ["wrangler", "d1", "migrations", "apply", "DB", "--local", "--persist-to", state, "--config", config], { cwd: ROOT, env: ENV, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  expect(migrate.status, migrate.stderr).toBe(0);
  stack = await startStack({ protocol: "http", devTenant: "maia", persistTo: state, config, vars: { RECORD_RETRY_SECONDS: "1" } });

  for (let i = 0; i < 3; i++) answers.push(await choose("accept"));
  await until("3 records before the outage", 30_000, () => (count() === 3 ? true : undefined));

  d1("ALTER TABLE consent_records RENAME TO consent_records_away");
  for (let i = 0; i < 4; i++) answers.push(await choose(i % 2 ? "accept" : "refuse"));
  // Long enough for the records queue to give up on them (3 attempts) and the dead-letter
  // consumer to meet the broken database too.
  await until("the dead-letter consumer retrying", 60_000, () => (/dead letter not stored; retried/.test(stack!.logs()) ? true : undefined));
  d1("ALTER TABLE consent_records_away RENAME TO consent_records");
  await until("7 records after the recovery", 90_000, () => (count() >= 7 && Number(d1("SELECT count(*) AS n FROM consent_dead_letters")[0].n) >= 1 ? true : undefined));
  // Anything still in flight would show as an 8th row or a duplicate: give it a few batches.
  await new Promise((r) => setTimeout(r, 3_000));
}, 240_000);

afterAll(async () => {
  await stack?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("consent records while D1 is unwritable", () => {
  it("every choice answered at once, with the database down as well", () => {
    expect(answers.map((a) => a.status)).toEqual(Array(7).fill(303));
    console.log(`answer times (ms): ${answers.map((a) => a.ms).join(", ")}`);
  });

  it("every record is in D1 once it recovers, none twice", () => {
    expect(count()).toBe(7);
    expect(d1("SELECT count(DISTINCT id) AS n FROM consent_records")[0].n).toBe(7);
    expect(d1("SELECT action, count(*) AS n FROM consent_records GROUP BY action ORDER BY action")).toEqual([{ action: "accept", n: 5 }, { action: "refuse", n: 2 }]);
  });

  it("the records that exhausted the retries went through the dead-letter queue, stored after all", () => {
    const dead = d1("SELECT d.id, d.stored, d.body, r.id AS in_records FROM consent_dead_letters d LEFT JOIN consent_records r ON r.id = d.id");
    expect(dead.length).toBeGreaterThanOrEqual(1);
    for (const d of dead) expect(d).toMatchObject({ stored: 1, body: null, in_records: d.id });
    expect(stack!.logs()).toMatch(/to dead letter queue "consent-edge-records-dlq"/);
  });

  it("npm run report shows the dead letters", { timeout: 180_000 }, () => {
    const n = d1("SELECT count(*) AS n FROM consent_dead_letters")[0].n;
    const r = spawnSync(process.execPath, [path.join(ROOT, "scripts/report.mjs"), "--persist-to", state], { cwd: ROOT, env: ENV, encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Dead-lettered consent records: ${n} (${n} stored in consent_records after all, 0 kept aside with their body)`);
    expect(r.stdout).toMatch(/^ {2}\d{4}-\d\d-\d\d \S+ +[A-Za-z0-9_-]{22} +maia +\S+ \S+ +\d+ +yes *$/m);
  });
});

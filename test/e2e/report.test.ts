// `npm run report` against a local D1 that the worker itself filled: wrangler dev on a fresh,
// migrated state directory, real choices and cookies through it, then the report's rows.
import { spawn, spawnSync } from "node:child_process";
import { request as httpRequest } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startStack, type Stack } from "./stack";

const ROOT = path.resolve(import.meta.dirname, "../..");
const ENV = { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false", CI: "true", NO_COLOR: "1" };

function respondPath(spec: object): string {
  return `/__fixture/respond?spec=${Buffer.from(JSON.stringify(spec)).toString("base64url")}`;
}

/** Runs `npm run report -- …` (as an operator would), without blocking the event loop. */
function report(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn("npm", ["run", "-s", "report", "--", ...args], { cwd: ROOT, env: ENV, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

const DAY = new Date().toISOString().slice(0, 10);
let dir: string;
let stack: Stack | undefined;
let withdrawalId: string;
let quietMs: number;

/**
 * A POST /cookies: "cors" through Node's fetch, which says `Sec-Fetch-Mode: cors` as a page's
 * script would; "navigate" through node:http with `Sec-Fetch-Mode: navigate`, as a plain form.
 */
async function post(body: string, mode: "navigate" | "cors", cookie?: string): Promise<{ status: number; setCookies: string[] }> {
  const headers: Record<string, string> = {
    "content-type": "application/x-www-form-urlencoded",
    "user-agent": "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0",
  };
  if (cookie) headers.cookie = cookie;
  if (mode === "cors") {
    const res = await fetch(`${stack!.url}/cookies`, { method: "POST", body, headers, redirect: "manual" });
    return { status: res.status, setCookies: res.headers.getSetCookie() };
  }
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${stack!.url}/cookies`, { method: "POST", headers: { ...headers, "sec-fetch-mode": "navigate" } }, (res) => {
      res.resume();
      const sc = res.headers["set-cookie"] ?? [];
      res.on("end", () => resolve({ status: res.statusCode ?? 0, setCookies: sc }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "consent-edge-report-"));
  const migrate = spawnSync("npx", ["wrangler", "d1", "migrations", "apply", "DB", "--local", "--persist-to", dir], { cwd: ROOT, env: ENV, stdio: ["ignore", "pipe", "pipe"], encoding: "utf8" });
  expect(migrate.status, migrate.stderr).toBe(0);
  // The deployed cadence (INVENTORY_FLUSH_SECONDS unset: a flush a minute, a new name at most
  // every 5 s): what the requests below count reaches D1 through the delayed flush.
  stack = await startStack({ protocol: "http", devTenant: "maia", persistTo: dir });

  const accepted = await post("action=accept&from=banner&lang=fr", "navigate");
  expect(accepted.status).toBe(303);
  // Every cookie the choice set, as the browser sends them back: the consent among them.
  const consent = accepted.setCookies.filter((l) => !/;\s*max-age=0\b/i.test(l)).map((l) => l.split(";")[0]).join("; ");
  expect((await post("action=refuse&from=page&lang=en", "cors", consent)).status).toBe(303);
  const sets = respondPath({ setCookies: ["report_probe=1; Path=/", "sessionid=s; Path=/; HttpOnly"] });
  for (let i = 0; i < 2; i++) await (await fetch(`${stack.url}${sets}`)).arrayBuffer();
  await (await fetch(`${stack.url}/__fixture/echo`, { headers: { cookie: "visitor_probe=v; odd\tname=1; _hjSessionUser_4321=x; _fbp=fb.1" } })).arrayBuffer();

  // The writes run after the answers (waitUntil): wait until the report sees all of them.
  const deadline = Date.now() + 60_000;
  for (;;) {
    const r = await report(["--persist-to", dir, "--json"]);
    const maia = r.status === 0 ? JSON.parse(r.stdout).tenants.maia : undefined;
    const probe = maia?.unknownCookies.find((c: { name: string }) => c.name === "report_probe");
    if (maia?.latestRecords.length === 2 && probe?.count === 2 && maia.unknownCookies.some((c: { name: string }) => c.name === "visitor_probe")) {
      withdrawalId = maia.latestRecords.find((x: { kind: string }) => x.kind === "withdrawal").id;
      break;
    }
    if (Date.now() > deadline) throw new Error(`the records did not arrive: ${r.stdout}${r.stderr}\n${stack.logs()}`);
    await new Promise((res) => setTimeout(res, 500));
  }

  // A visit with an unknown cookie, then no traffic at all: the report lists it within seconds.
  const start = Date.now();
  await (await fetch(`${stack.url}/__fixture/echo`, { headers: { cookie: "quiet_probe=1" } })).arrayBuffer();
  for (;;) {
    // When the report that lists it started (a report run itself takes seconds on a loaded machine).
    const asked = Date.now();
    const r = await report(["--persist-to", dir, "--json"]);
    if (r.status === 0 && JSON.parse(r.stdout).tenants.maia?.unknownCookies.some((c: { name: string }) => c.name === "quiet_probe")) {
      quietMs = asked - start;
      console.log(`quiet_probe listed by a report started ${quietMs} ms after the visit`);
      break;
    }
    if (Date.now() - start > 30_000) throw new Error(`quiet_probe was not written within 30 s: ${r.stdout}${r.stderr}\n${stack.logs()}`);
    await new Promise((res) => setTimeout(res, 1000));
  }
  await stack.close();
  stack = undefined;
}, 180_000);

afterAll(async () => {
  await stack?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("npm run report", () => {
  it("lists a visit's unknown cookie in a report started within 15 s, although no request follows", () => {
    expect(quietMs).toBeLessThan(15_000);
  });

  it("prints the unknown cookies, the choices per key per day and the latest records as text tables", async () => {
    const r = await report(["--persist-to", dir]);
    expect(r.status, r.stderr).toBe(0);
    const out = r.stdout;
    expect(out).toContain("== maia");
    expect(out).toMatch(/^ {2}report_probe +origin +\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ +\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ +2$/m);
    expect(out).toMatch(/^ {2}visitor_probe +visitor +\S+ \S+ +\S+ \S+ +1$/m);
    // A control character in a name (here a tab) is shown escaped, never sent to the terminal as is.
    expect(out).toMatch(/^ {2}odd\\x09name +visitor +/m);
    // Unknown names the Open Cookie Database knows are classified, by name or by wildcard prefix.
    expect(out).toMatch(/^ {2}_hjSessionUser_4321 +visitor +\S+ \S+ +\S+ \S+ +1 +Hotjar, Functional \(platform: Analytics\) +prefix _hjSessionUser_$/m);
    expect(out).toMatch(/^ {2}_fbp +visitor +\S+ \S+ +\S+ \S+ +1 +Facebook, Marketing +name$/m);
    expect(out).toMatch(/^ {2}visitor_probe +visitor +\S+ \S+ +\S+ \S+ +1$/m);
    // Declared cookies are not "unknown".
    expect(out).not.toMatch(/^ {2}sessionid /m);
    for (const key of ["at", "ga", "matomo", "xiti"]) expect(out).toMatch(new RegExp(`^  ${DAY} +${key} +1 +1 +50\\.0%$`, "m"));
    expect(out).toMatch(new RegExp(`^  ${DAY} +1 +0 +0 +1$`, "m"));
    expect(out).toMatch(new RegExp(`^  \\S+ \\S+ +${withdrawalId} +withdrawal +refuse +page +script +en +Firefox +\\S+$`, "m"));
    expect(out).toMatch(/^ {2}\S+ \S+ +[A-Za-z0-9_-]{22} +choice +accept +banner +form +fr +Firefox +\S+$/m);
   }, 150_000);

  it("answers --json with the same rows, and --record with one record", async () => {
    const j = await report(["--persist-to", dir, "--json", "--tenant", "maia"]);
    expect(j.status, j.stderr).toBe(0);
    const maia = JSON.parse(j.stdout).tenants.maia;
    expect(maia.unknownCookies.map((c: { name: string; source: string; count: number }) => [c.name, c.source, c.count]).sort()).toEqual([
      ["_fbp", "visitor", 1],
      ["_hjSessionUser_4321", "visitor", 1],
      ["odd\tname", "visitor", 1],
      ["quiet_probe", "visitor", 1],
      ["report_probe", "origin", 2],
      ["visitor_probe", "visitor", 1],
    ]);
    expect(maia.choicesPerDay).toHaveLength(4);
    expect(maia.choicesPerDay[0]).toMatchObject({ day: DAY, granted: 1, refused: 1, rate: 0.5 });
    expect(maia.unknownCookies.find((c: { name: string }) => c.name === "_hjSessionUser_4321").classification).toMatchObject({ platform: "Hotjar", category: "Functional", platformCategory: "Analytics", match: "prefix", pattern: "_hjSessionUser_" });
    expect(maia.unknownCookies.find((c: { name: string }) => c.name === "report_probe").classification).toBeNull();
    expect(maia.choicesByDay.action).toEqual([{ day: DAY, value: "accept", count: 1 }, { day: DAY, value: "withdraw", count: 1 }]);

    const one = await report(["--persist-to", dir, "--record", withdrawalId]);
    expect(one.status, one.stderr).toBe(0);
    expect(one.stdout).toMatch(new RegExp(`^reference +${withdrawalId}$`, "m"));
    expect(one.stdout).toMatch(/^withdrawn +at, ga, matomo, xiti$/m);
    expect(one.stdout).toMatch(/^choices +ga=refused, matomo=refused, xiti=refused, at=refused$/m);
    expect(one.stdout).toMatch(/^policy sha-256 +[0-9a-f]{64}$/m);
   }, 150_000);

  it("says clearly when the record, the database or its tables are missing", async () => {
    const none = await report(["--persist-to", dir, "--record", "A".repeat(22)]);
    expect([none.status, none.stderr]).toEqual([1, expect.stringMatching(/no record A{22}/)]);
    // A record id may start with "-" (about 1 in 64): read as the value, not as an option.
    const dash = await report(["--persist-to", dir, "--record", `-${"A".repeat(21)}`]);
    expect([dash.status, dash.stderr]).toEqual([1, expect.stringMatching(/no record -A{21}/)]);
    const missing = await report(["--persist-to", path.join(dir, "nowhere")]);
    expect([missing.status, missing.stderr]).toEqual([2, expect.stringMatching(/no local D1 database .*npm start/)]);
    const empty = mkdtempSync(path.join(tmpdir(), "consent-edge-empty-"));
    try {
      // A database that exists but was never migrated.
      spawnSync("npx", ["wrangler", "d1", "execute", "DB", "--local", "--persist-to", empty, "--command", "SELECT 1"], { cwd: ROOT, env: ENV, stdio: "ignore" });
      const unmigrated = await report(["--persist-to", empty]);
      expect([unmigrated.status, unmigrated.stderr]).toEqual([2, expect.stringMatching(/not migrated.*wrangler d1 migrations apply DB --local/)]);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
    const bad = await report(["--days", "0"]);
    expect([bad.status, bad.stderr]).toEqual([2, expect.stringMatching(/--days must be a whole number/)]);
    // Five report runs of a few seconds each: room for a loaded machine.
  }, 150_000);
});

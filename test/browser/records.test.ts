// Consent records from real Chromium: the banner's plain form (JavaScript off) and a fetch()
// from a page (JavaScript on) each write one record, with where and how they were made, into
// the local D1 that `npm run report` reads; /cookies then quotes the record's reference.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startStack, type Stack } from "../e2e/stack";
import { launchChromium } from "./chromium";

const ROOT = path.resolve(import.meta.dirname, "../..");
const ENV = { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false", CI: "true", NO_COLOR: "1" };
const BANNER = "#consent-edge-banner";

interface Row {
  id: string;
  kind: string;
  action: string;
  place: string;
  via: string;
  lang: string;
  browser: string;
}

function latestRecords(dir: string): Promise<Row[]> {
  return new Promise((resolve, reject) => {
    const child = spawn("npm", ["run", "-s", "report", "--", "--persist-to", dir, "--json", "--tenant", "maia"], { cwd: ROOT, env: ENV, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("close", (status) => (status === 0 ? resolve(JSON.parse(out).tenants.maia?.latestRecords ?? []) : reject(new Error(err))));
  });
}

async function recordsWhen(dir: string, n: number): Promise<Row[]> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const rows = await latestRecords(dir);
    if (rows.length >= n || Date.now() > deadline) return rows;
    await new Promise((r) => setTimeout(r, 500));
  }
}

describe("consent records from Chromium", () => {
  let dir: string;
  let stack: Stack;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "consent-edge-records-"));
    const migrate = spawnSync("npx", ["wrangler", "d1", "migrations", "apply", "DB", "--local", "--persist-to", dir], { cwd: ROOT, env: ENV, stdio: ["ignore", "pipe", "pipe"], encoding: "utf8" });
    expect(migrate.status, migrate.stderr).toBe(0);
    [stack, browser] = await Promise.all([startStack({ protocol: "https", persistTo: dir }), launchChromium()]);
    // https: browsers send Fetch Metadata (Sec-Fetch-Mode, which tells a form from a script) to secure origins only.
    base = `https://maia.opendatasoft.com:${stack.port}`;
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("a banner click without JavaScript, then a fetch() from a page, write one record each", async () => {
    const noJs = await browser.newContext({ javaScriptEnabled: false, ignoreHTTPSErrors: true });
    const page = await noJs.newPage();
    await page.goto(`${base}/`);
    const back = page.waitForResponse((r) => r.request().method() === "GET" && new URL(r.url()).pathname === "/");
    await page.click(`${BANNER} button[value="accept"]`);
    expect((await back).status()).toBe(200);

    let rows = await recordsWhen(dir, 1);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ kind: "choice", action: "accept", place: "banner", via: "form", lang: "en", browser: "Chrome" });
    // The visitor's /cookies page quotes the same reference, from the signed consent in the jar.
    await page.goto(`${base}/cookies?lang=en`);
    expect(await page.textContent("#choice-reference code")).toBe(rows[0].id);
    await noJs.close();

    // A page's script posting the form (the page's own CSP is not what is tested here).
    const js = await browser.newContext({ bypassCSP: true, ignoreHTTPSErrors: true });
    const p2 = await js.newPage();
    await p2.goto(`${base}/cookies?lang=fr`);
    const status = await p2.evaluate(async () => {
      const res = await fetch("/cookies", { method: "POST", body: new URLSearchParams({ action: "refuse", from: "page", lang: "fr" }), redirect: "manual" });
      return res.type === "opaqueredirect" ? 303 : res.status;
    });
    expect(status).toBe(303);
    await js.close();

    rows = await recordsWhen(dir, 2);
    expect(rows).toHaveLength(2);
    const fetched = rows.find((r) => r.via === "script");
    expect(fetched).toMatchObject({ kind: "choice", action: "refuse", place: "page", lang: "fr", browser: "Chrome" });
    expect(new Set(rows.map((r) => r.id)).size).toBe(2);
  });
});

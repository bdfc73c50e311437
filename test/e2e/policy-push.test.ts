// Policy changes without a redeploy, on the real local stack: wrangler dev (its local KV under a
// fresh state directory, POLICY_CACHE_SECONDS=2) and `npm run policies -- --push` writing to that
// same KV as an operator would. A new tenant is served within the cache time, a change to an
// existing tenant (a new necessary cookie) takes effect the same way, both without a restart; an
// invalid file is refused with the validator's message and nothing changes.
import { spawnSync } from "node:child_process";
import { request as httpRequest } from "node:http";
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { copyPolicies, runNode, ROOT } from "../scripts/tmp-repo";
import { startStack, type Stack } from "./stack";

const CACHE_SECONDS = 2;
const ENV = { CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false", CI: "true", NO_COLOR: "1" };
let dir: string;
let state: string;
let policies: string;
let stack: Stack;

function push() {
  return runNode([path.join(ROOT, "scripts/policies.mjs"), "--dir", policies, "--push", "--persist-to", state], { env: ENV, timeoutMs: 120_000 });
}

/** The tenant's /cookies declaration as JSON, through the worker, by Host. */
async function declaration(host: string): Promise<{ status: number; tenant?: string; cookies: string[] }> {
  // node:http, since fetch() does not let a caller set Host.
  const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = httpRequest(`${stack.url}/cookies`, { agent: false, headers: { host, accept: "application/json" } }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on("error", reject);
    req.end();
  });
  if (status !== 200) return { status, cookies: [] };
  const body = JSON.parse(text) as { tenant: string; services: Array<{ cookies: Array<{ name: string }> }> };
  return { status: 200, tenant: body.tenant, cookies: body.services.flatMap((s) => s.cookies.map((c) => c.name)) };
}

/** Polls until `ok`; returns the ms it took from `since`, or throws after `withinMs`. */
async function servedWithin(since: number, withinMs: number, check: () => Promise<boolean>): Promise<number> {
  for (;;) {
    if (await check()) return Date.now() - since;
    if (Date.now() - since > withinMs) throw new Error(`not served within ${withinMs} ms\n${stack.logs().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function kvKeys(): string {
  const r = spawnSync("npx", ["wrangler", "kv", "key", "list", "--binding", "POLICY_KV", "--local", "--persist-to", state], { cwd: ROOT, env: { ...process.env, ...ENV }, encoding: "utf8" });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "consent-edge-push-"));
  state = path.join(dir, "state");
  policies = await copyPolicies(dir);
  stack = await startStack({ protocol: "http", persistTo: state, vars: { POLICY_CACHE_SECONDS: String(CACHE_SECONDS) } });
}, 180_000);

afterAll(async () => {
  await stack?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("npm run policies -- --push, with the stack running", () => {
  it("serves a new tenant within the cache time, without a restart; a host no source knows stays 421", async () => {
    const host = "kv-added.example.org";
    // Asked once before the push: the isolate caches "KV has no such host" as well.
    expect((await declaration(host)).status).toBe(421);
    writeFileSync(path.join(policies, "kv-added.json"), JSON.stringify({ extends: "opendatasoft", id: "kv-added", hosts: [host], siteUrl: `https://${host}` }));
    const r = await push();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/policies: \+ kv-added \(revision \S+, sha256 [0-9a-f]{12}…\): new in local KV/);
    const pushed = Date.now();
    const ms = await servedWithin(pushed, CACHE_SECONDS * 1000 + 5_000, async () => (await declaration(host)).tenant === "kv-added");
    console.log(`new tenant served ${ms} ms after the push (cache ${CACHE_SECONDS} s)`);
    expect((await declaration("nobody.example.org")).status).toBe(421);
    expect(stack.logs()).not.toMatch(/Reloading|Restart/i);
  });

  it("serves a change to an existing tenant (a new necessary cookie) within the cache time", async () => {
    const host = "maia.opendatasoft.com";
    expect((await declaration(host)).cookies).not.toContain("kv_test_session");
    const file = path.join(policies, "maia.json");
    const maia = JSON.parse(readFileSync(file, "utf8"));
    maia.services = [...(maia.services ?? []), {
      id: "kv-test-session", consentKey: "necessary", category: "necessary", provider: "Example hosting",
      function: "Session", purpose: "To keep the visitor's session", cookies: [{ name: "kv_test_session", duration: "session" }],
    }];
    writeFileSync(file, JSON.stringify(maia));
    const r = await push();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/policies: ~ maia: content changed, revision \S+ kept/);
    const ms = await servedWithin(Date.now(), CACHE_SECONDS * 1000 + 5_000, async () => (await declaration(host)).cookies.includes("kv_test_session"));
    console.log(`changed tenant served ${ms} ms after the push`);
  });

  it("refuses an invalid file with the validator's message, and changes nothing", async () => {
    const before = kvKeys();
    writeFileSync(path.join(policies, "kv-broken.json"), JSON.stringify({ extends: "opendatasoft", id: "kv-broken", hosts: ["maia.opendatasoft.com"], siteUrl: "https://x.example.org" }));
    const r = await push();
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${policies}/kv-broken.json: hosts[0]: host "maia.opendatasoft.com" is already claimed by maia.json`);
    expect(r.stdout).not.toMatch(/pushed to/);
    expect(kvKeys()).toBe(before);
    await new Promise((res) => setTimeout(res, CACHE_SECONDS * 1000 + 500));
    const maia = await declaration("maia.opendatasoft.com");
    expect(maia.tenant).toBe("maia");
    expect(maia.cookies).toContain("kv_test_session");
    expect((await declaration("kv-added.example.org")).tenant).toBe("kv-added");
  });
});

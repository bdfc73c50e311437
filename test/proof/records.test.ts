// Consent records through the worker, in real local D1: one per choice (banner and page, plain
// form and fetch), one per withdrawal, and a failing database changes nothing for the visitor.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it, vi } from "vitest";
import worker from "../../src/index";
import { POLICIES } from "../../src/policy";
import { formatDecisionTime, optionalConsentKeys } from "../../src/pages/view";
import { policyHash } from "../../src/proof/policy-hash";
import { MAIA } from "../helpers";

const FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0";
const CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/141.0.0.0 Safari/537.36";
const maia = POLICIES.byId("maia")!;

interface PostOptions {
  body: string;
  /** "navigate" for a plain form submission, "cors" for fetch() from the page. */
  mode: "navigate" | "cors";
  cookie?: string;
  ua?: string;
  db?: D1Database;
}

/** A POST /cookies through the worker, then every waitUntil settled. */
async function post(opts: PostOptions): Promise<Response> {
  const headers = new Headers({
    "content-type": "application/x-www-form-urlencoded",
    origin: `https://${MAIA}`,
    "sec-fetch-site": "same-origin",
    "sec-fetch-mode": opts.mode,
    "user-agent": opts.ua ?? FIREFOX,
    "accept-language": "en",
    // What a visitor's request carries that a record must never hold.
    "cf-connecting-ip": "203.0.113.77",
  });
  if (opts.cookie) headers.set("cookie", opts.cookie);
  const ctx = createExecutionContext();
  const req = new Request(`https://${MAIA}/cookies`, { method: "POST", headers, body: opts.body, redirect: "manual" });
  // No queue bound: the record is written to this file's own database directly, within the
  // waitUntil below (the queued path, through the records queue, is test/store/records-queue.test.ts).
  const res = await worker.fetch(req, { ...env, DB: opts.db ?? env.RECORDS_TEST_DB, RECORDS_QUEUE: undefined as never }, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

async function records(): Promise<Record<string, unknown>[]> {
  const { results } = await env.RECORDS_TEST_DB.prepare("SELECT * FROM consent_records ORDER BY created_at, rowid").all();
  return results;
}

/** The cookies a response sets (name=value, expiries left out), as the browser sends them next: the consent among them. */
function cookiesSetBy(res: Response): string {
  const pairs = res.headers
    .getSetCookie()
    .filter((l) => !/;\s*max-age=0\b/i.test(l))
    .map((l) => l.split(";")[0]);
  if (pairs.length === 0) throw new Error("no cookie in the response");
  return pairs.join("; ");
}

beforeEach(async () => {
  await env.RECORDS_TEST_DB.exec("DELETE FROM consent_records");
});

describe("consent records", () => {
  it("a plain form post from the banner (no JavaScript) writes exactly one record with the right fields", async () => {
    const before = Date.now();
    const res = await post({ mode: "navigate", body: "action=accept&from=banner&lang=fr&return=%2Fexplore", cookie: "sessionid=secret-session-value" });
    expect(res.status).toBe(303);
    const rows = await records();
    expect(rows).toHaveLength(1);
    const r = rows[0];
    expect(r.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(r.tenant).toBe("maia");
    expect(r.created_at).toBeGreaterThanOrEqual(before);
    expect(r.created_at).toBeLessThanOrEqual(Date.now());
    expect(r.kind).toBe("choice");
    expect(r.action).toBe("accept");
    expect(r.revision).toBe(maia.revision);
    expect(r.policy_sha256).toBe(await policyHash(maia));
    expect(r.policy_sha256).toMatch(/^[0-9a-f]{64}$/);
    const keys = optionalConsentKeys(maia);
    expect(keys.length).toBeGreaterThan(0);
    expect(JSON.parse(r.choices as string)).toEqual(Object.fromEntries(keys.map((k) => [k, true])));
    expect(JSON.parse(r.withdrawn as string)).toEqual([]);
    expect(r.place).toBe("banner");
    expect(r.via).toBe("form");
    expect(r.lang).toBe("fr");
    expect(r.browser).toBe("Firefox");
    // No IP address, no cookie value, no full User-Agent anywhere in the row.
    const text = JSON.stringify(r);
    expect(text).not.toContain("203.0.113.77");
    expect(text).not.toContain("secret-session-value");
    expect(text).not.toContain("140.0");
  });

  it("a fetch() post from the page (JavaScript) saving one service writes exactly one record", async () => {
    const keys = optionalConsentKeys(maia);
    const res = await post({ mode: "cors", ua: CHROME, body: `action=save&from=page&lang=en&${keys[0]}=on` });
    expect(res.status).toBe(303);
    const rows = await records();
    expect(rows).toHaveLength(1);
    const r = rows[0];
    expect(r.action).toBe("save");
    expect(r.place).toBe("page");
    expect(r.via).toBe("script");
    expect(r.lang).toBe("en");
    expect(r.browser).toBe("Chrome");
    expect(JSON.parse(r.choices as string)).toEqual(Object.fromEntries(keys.map((k, i) => [k, i === 0])));
  });

  it("a withdrawal (refusing what was granted) writes one record that names what was withdrawn", async () => {
    const accepted = await post({ mode: "navigate", body: "action=accept&from=banner" });
    const res = await post({ mode: "navigate", body: "action=refuse&from=page", cookie: cookiesSetBy(accepted) });
    expect(res.status).toBe(303);
    const rows = await records();
    expect(rows.map((r) => [r.action, r.kind])).toEqual([
      ["accept", "choice"],
      ["refuse", "withdrawal"],
    ]);
    expect(JSON.parse(rows[1].withdrawn as string)).toEqual([...optionalConsentKeys(maia)].sort());
    expect(rows[0].id).not.toBe(rows[1].id);
  });

  it("the visitor's /cookies page then names the choice by its record's reference and time", async () => {
    const chose = await post({ mode: "navigate", body: "action=accept&from=banner&lang=en" });
    const [r] = await records();
    const ctx = createExecutionContext();
    const page = await worker.fetch(new Request(`https://${MAIA}/cookies?lang=en`, { headers: { cookie: cookiesSetBy(chose) } }), { ...env, DB: env.RECORDS_TEST_DB }, ctx);
    await waitOnExecutionContext(ctx);
    const html = await page.text();
    expect(html).toContain(`${formatDecisionTime(r.created_at as number, "en")}, reference <bdi><code>${r.id}</code></bdi>`);
  });

  it("a form without `from` (a script, a tool) is recorded as made elsewhere, its language from the request", async () => {
    await post({ mode: "navigate", body: "action=refuse", ua: "curl/8.5.0" });
    const [r] = await records();
    expect([r.place, r.lang, r.browser, r.kind]).toEqual(["other", "en", "other", "choice"]);
  });

  it("a failing database (no tables) leaves the visitor's response as it was, and logs one structured line", async () => {
    const body = "action=accept&from=banner&return=%2Fexplore";
    const good = await post({ mode: "navigate", body });
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      const bad = await post({ mode: "navigate", body, db: env.UNMIGRATED_DB });
      expect(bad.status).toBe(good.status);
      expect(bad.headers.get("location")).toBe(good.headers.get("location"));
      // Same cookies (the consent value holds a timestamp: compare names and attributes).
      const shape = (r: Response) => r.headers.getSetCookie().map((l) => l.replace(/=[^;]*/, "=").replace(/Expires=[^;]*/, ""));
      expect(shape(bad)).toEqual(shape(good));
      expect(await bad.text()).toBe(await good.text());
      const lines = errors.mock.calls.map((args) => String(args[0])).filter((l) => l.includes("store write failed"));
      expect(lines).toHaveLength(1);
      const line = JSON.parse(lines[0]);
      expect(line).toMatchObject({ msg: "consent-edge: store write failed", what: "consent record", tenant: "maia" });
      expect(line.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(line.error).toMatch(/no such table/);
    } finally {
      errors.mockRestore();
    }
    // The good database holds only the first choice.
    expect(await records()).toHaveLength(1);
  });
});

// The parse limits through the whole worker (scan mode, the enforced CSP), against the real demo
// origin: for an undecided visitor (banner due) a page of BANNER_PARSE_LIMIT bytes is parsed, one
// byte more passes as sent with the banner after it, whether the origin declares its length or
// sends it chunked; for a visitor without the banner (here Sec-GPC) the bound is PARSE_LIMIT.
import { createExecutionContext, env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import { POLICIES } from "../../src/policy";
import { bannerBytes } from "../../src/rewrite/banner";
import { bannerShapeOf } from "../banner-shape";
import { BANNER_PARSE_LIMIT, PARSE_LIMIT } from "../../src/rewrite/unparsed";
import { MAIA, respondPath } from "../helpers";

const maia = POLICIES.byId("maia")!;
const HEAD = `<!doctype html><html><head><meta charset="utf-8"><script src="https://www.google-analytics.com/analytics.js"></script><script>gtag('config', 'G-1');</script></head><body><p>`;
const TAIL = `</p></body></html>`;
const utf8 = (s: string) => new TextEncoder().encode(s);

/** The demo origin's page of exactly `bytes` bytes (`__PAD__` filled by the origin), chunked or with its length. */
function pagePath(bytes: number, chunked: boolean): string {
  const headers: Array<[string, string]> = [["content-type", "text/html; charset=utf-8"]];
  if (chunked) headers.push(["transfer-encoding", "chunked"]);
  return `${respondPath({ headers, body: `${HEAD}__PAD__${TAIL}` })}&pad=${bytes - HEAD.length - TAIL.length}`;
}
const expected = (bytes: number) => utf8(HEAD + "x".repeat(bytes - HEAD.length - TAIL.length) + TAIL);

async function visit(path: string, gpc = false): Promise<Response> {
  const headers = new Headers();
  if (gpc) headers.set("sec-gpc", "1");
  return worker.fetch(new Request(`http://${MAIA}${path}`, { headers }), env as Env, createExecutionContext());
}

describe("the parse limit through the worker (scan mode, enforced CSP)", () => {
  for (const chunked of [false, true]) {
    const how = chunked ? "chunked" : "with its Content-Length";
    it(`${how}: a page of BANNER_PARSE_LIMIT bytes is parsed (tracker neutralised, banner in)`, async () => {
      const res = await visit(pagePath(BANNER_PARSE_LIMIT, chunked));
      expect(res.status).toBe(200);
      expect(res.headers.get("content-security-policy")).toMatch(/^default-src 'self' /);
      const text = await res.text();
      expect(text).toContain(`data-consent-blocked="google-analytics"`);
      expect(text).toContain(`id="consent-edge-banner"`);
    });

    it(`${how}: BANNER_PARSE_LIMIT + 1 bytes pass as sent, the CSP enforced, the banner after the page`, async () => {
      const path = pagePath(BANNER_PARSE_LIMIT + 1, chunked);
      const res = await visit(path);
      expect(res.status).toBe(200);
      const csp = res.headers.get("content-security-policy")!;
      expect(csp).toMatch(/^default-src 'self' /);
      expect(csp).not.toContain("google-analytics.com");
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      const body = new Uint8Array(await res.arrayBuffer());
      const page = expected(BANNER_PARSE_LIMIT + 1);
      const banner = bannerBytes(maia, "en", path);
      expect(body.subarray(0, page.length)).toEqual(page);
      expect(bannerShapeOf(body.subarray(page.length))).toBe(bannerShapeOf(banner));
    });
  }

  it("a visitor without the banner: a page of PARSE_LIMIT bytes is parsed (tracker neutralised)", async () => {
    const res = await visit(pagePath(PARSE_LIMIT, false), true);
    const text = await res.text();
    expect(text).toContain(`data-consent-blocked="google-analytics"`);
    expect(text).not.toContain(`id="consent-edge-banner"`);
  });

  it("a refused visitor's page past the limit: byte for byte, its Content-Length kept, the CSP enforced", async () => {
    const res = await visit(pagePath(PARSE_LIMIT + 1, false), true);
    expect(res.headers.get("content-length")).toBe(String(PARSE_LIMIT + 1));
    expect(res.headers.get("content-security-policy")).toMatch(/^default-src 'self' /);
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(expected(PARSE_LIMIT + 1));
  });
});

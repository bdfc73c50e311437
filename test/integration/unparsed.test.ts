// Pages that pass unparsed (markup "csp-only", here through the MARKUP_MODE var): through the whole
// worker in workerd, against the real demo origin. Without full consent the page comes back byte
// for byte with the enforced CSP (the banner, when due, after its last byte); wherever the page
// cannot pass that way, or the CSP is not enforced, it is parsed as before.
import { createExecutionContext, env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import { BANNER_CSS, BANNER_CSS_PATH, BANNER_CSS_URL, bannerBytes, renderBanner } from "../../src/rewrite/banner";
import { bannerShapeOf } from "../banner-shape";
import { fitsUnparsed, passesUnparsed } from "../../src/rewrite/unparsed";
import { POLICIES } from "../../src/policy";
import { FULL_CONSENT_COOKIE, MAIA, respondPath, type FixtureSpec } from "../helpers";

const GA = "https://www.google-analytics.com";
const PAGE = `<!doctype html><html><head><meta charset="utf-8"><script src="${GA}/analytics.js"></script><script>gtag('config', 'G-1');</script></head><body><p>caf\u00e9</p></body></html>`;
const HTML: Array<[string, string]> = [["content-type", "text/html; charset=utf-8"]];
const maia = POLICIES.byId("maia")!;

async function visit(path: string, vars: Record<string, string> = { MARKUP_MODE: "csp-only" }, init: RequestInit & { gpc?: boolean } = {}): Promise<Response> {
  const { gpc, ...rest } = init;
  const headers = new Headers(rest.headers);
  if (gpc) headers.set("sec-gpc", "1");
  return worker.fetch(new Request(`http://${MAIA}${path}`, { ...rest, headers }), { ...env, ...vars } as Env, createExecutionContext());
}

/** `text` in zlib deflate (RFC 1950), as an origin sends `Content-Encoding: deflate`. */
async function deflated(text: string): Promise<Uint8Array> {
  return new Uint8Array(await new Response(new Blob([text]).stream().pipeThrough(new CompressionStream("deflate"))).arrayBuffer());
}
const base64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));

const bytesOf = async (res: Response) => new Uint8Array(await res.arrayBuffer());
const utf8 = (s: string) => new TextEncoder().encode(s);
const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) (out.set(p, at), (at += p.length));
  return out;
};

describe("a visitor without consent, markup csp-only", () => {
  it("refused (Sec-GPC): the origin's bytes exactly, its Content-Length kept, with the enforced CSP and nosniff", async () => {
    const spec: FixtureSpec = { headers: HTML, body: PAGE };
    const res = await visit(respondPath(spec), undefined, { gpc: true });
    expect(res.status).toBe(200);
    const csp = res.headers.get("content-security-policy")!;
    expect(csp).toMatch(/^default-src 'self' /);
    expect(csp).not.toContain("google-analytics.com");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(res.headers.get("cache-control")).toBe("private, no-store");
    expect(res.headers.get("content-length")).toBe(String(utf8(PAGE).length));
    // Nothing neutralised: the tracker tag is still there, and the CSP keeps its host away.
    expect(await bytesOf(res)).toEqual(utf8(PAGE));
  });

  it("a hostile origin's page for a refused visitor: its tracker, consent and cacheability stripped, the CSP on the proxy's own copy, the bytes as sent", async () => {
    // The origin sets a tracker, forges a grant and a record, and offers the page to shared caches:
    // forwardToOrigin builds its own copy (the stripped cookies), which the page path copies again with the CSP.
    const spec: FixtureSpec = {
      headers: [...HTML, ["cache-control", "public, max-age=600"], ["etag", '"v1"']],
      setCookies: ["sessionid=s1; Path=/; HttpOnly", "_ga=GA1.1.1.1; Path=/; Max-Age=3600", `cookies_preferences=${encodeURIComponent('{"ga":true}')}; Path=/`, "consent-edge-http=v1.forged; Path=/"],
      body: PAGE,
    };
    const res = await visit(respondPath(spec), undefined, { gpc: true });
    expect(res.status).toBe(200);
    expect(res.headers.getSetCookie()).toEqual(["sessionid=s1; Path=/; HttpOnly"]);
    const csp = res.headers.get("content-security-policy")!;
    expect(csp).toMatch(/^default-src 'self' /);
    expect(csp).not.toContain("google-analytics.com");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("cache-control")).toBe("private, no-store");
    expect(res.headers.get("etag")).toBeNull();
    expect(res.headers.get("content-length")).toBe(String(utf8(PAGE).length));
    expect(await bytesOf(res)).toEqual(utf8(PAGE));
  });

  it("no choice: the origin's bytes, then the banner as ASCII after the document's end", async () => {
    const path = respondPath({ headers: HTML, body: PAGE });
    const res = await visit(path);
    expect(res.headers.get("content-length")).toBeNull();
    expect(res.headers.get("content-security-policy")).toMatch(/^default-src 'self' /);
    const body = await bytesOf(res);
    const banner = bannerBytes(maia, "en", path);
    expect(body.subarray(0, utf8(PAGE).length)).toEqual(utf8(PAGE));
    expect(bannerShapeOf(body.subarray(utf8(PAGE).length))).toBe(bannerShapeOf(banner));
    expect(body.subarray(utf8(PAGE).length).every((b) => b < 0x80)).toBe(true);
  });

  it("a page whose body breaks off: the visitor's stream errors, and no banner follows the broken page", async () => {
    const res = await visit("/__fixture/reset-mid-body?type=text/html");
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    let text = "";
    let error: unknown;
    try {
      for (;;) {
        const r = await reader.read();
        if (r.done) break;
        text += new TextDecoder().decode(r.value);
      }
    } catch (e) {
      error = e;
    }
    expect(error).toBeDefined();
    expect(text).not.toContain("consent-edge-banner");
  });

  it("a large page streams through with the banner at its end", async () => {
    const bytes = 4 * 1024 * 1024;
    const res = await visit(`/__fixture/stream?bytes=${bytes}&type=text/html`);
    const body = await bytesOf(res);
    const banner = bannerBytes(maia, "en", `/__fixture/stream?bytes=${bytes}&type=text/html`);
    // The worker's banner posts to the page's origin absolutely: longer by that origin, four times.
    expect(body.length).toBe(bytes + banner.length + 4 * "http://maia.opendatasoft.com".length);
    expect(bannerShapeOf(body.subarray(bytes))).toBe(bannerShapeOf(banner));
  });

  it("refused, a body in a coding the runtime does not undo: passes encoded, as sent", async () => {
    const body = await deflated(PAGE);
    const res = await visit(respondPath({ headers: [...HTML, ["content-encoding", "deflate"]], bodyBase64: base64(body) }), undefined, { gpc: true });
    expect(res.headers.get("content-encoding")).toBe("deflate");
    expect(res.headers.get("content-security-policy")).toMatch(/^default-src 'self' /);
    expect(await bytesOf(res)).toEqual(body);
  });

  it("banner due on such a body: parsed as before (decoded, tracker neutralised, banner in)", async () => {
    const res = await visit(respondPath({ headers: [...HTML, ["content-encoding", "deflate"]], bodyBase64: base64(await deflated(PAGE)) }));
    expect(res.headers.get("content-encoding")).toBeNull();
    const text = await res.text();
    expect(text).toContain('type="text/plain" data-consent-blocked="google-analytics"');
    expect(text).toContain('id="consent-edge-banner"');
    expect(res.headers.get("content-security-policy")!.split(", ").filter((v) => v.startsWith("default-src"))).toHaveLength(1);
  });

  it("banner due on UTF-16 text: parsed as before (transcoded to UTF-8)", async () => {
    const utf16 = new Uint8Array(2 + PAGE.length * 2);
    utf16.set([0xff, 0xfe]);
    for (let i = 0; i < PAGE.length; i++) utf16.set([PAGE.charCodeAt(i) & 0xff, PAGE.charCodeAt(i) >> 8], 2 + i * 2);
    const res = await visit(respondPath({ headers: [["content-type", "text/html; charset=utf-16le"]], bodyBase64: base64(utf16) }));
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const text = await res.text();
    expect(text).toContain('data-consent-blocked="google-analytics"');
    expect(text).toContain('id="consent-edge-banner"');
  });

  it("documents the parser cannot read stay inert, as before (no Content-Type: text/plain with the inert CSP)", async () => {
    const res = await visit(respondPath({ headers: [], body: PAGE }), undefined, { gpc: true });
    expect(res.headers.get("content-type")).toBe("text/plain");
    expect(res.headers.get("content-security-policy")).toContain("default-src 'none'");
    await res.arrayBuffer();
  });

  it("is parsed whenever the CSP is not enforced (CSP_MODE off or report-only)", async () => {
    for (const CSP_MODE of ["off", "report-only"]) {
      const res = await visit(respondPath({ headers: HTML, body: PAGE }), { MARKUP_MODE: "csp-only", CSP_MODE }, { gpc: true });
      expect(await res.text(), CSP_MODE).toContain('data-consent-blocked="google-analytics"');
    }
  });

  it("without the declaration, the same page is parsed (the default, markup scan)", async () => {
    const res = await visit(respondPath({ headers: HTML, body: PAGE }), {}, { gpc: true });
    expect(await res.text()).toContain('data-consent-blocked="google-analytics"');
  });

  it("full consent: the page as it came, no CSP", async () => {
    const res = await visit(respondPath({ headers: HTML, body: PAGE }), undefined, { headers: { cookie: FULL_CONSENT_COOKIE } });
    expect(res.headers.get("content-security-policy")).toBeNull();
    expect(await bytesOf(res)).toEqual(utf8(PAGE));
  });
});

describe("unparsed pages, pure parts", () => {
  it("pass only when declared and the CSP enforced", () => {
    expect(passesUnparsed("csp-only", "enforce")).toBe(true);
    expect(passesUnparsed("csp-only", "report-only")).toBe(false);
    expect(passesUnparsed("csp-only", "off")).toBe(false);
    expect(passesUnparsed("scan", "enforce")).toBe(false);
    expect(passesUnparsed(undefined, "enforce")).toBe(false);
  });

  it("take a banner only on a body the runtime decoded and ASCII-compatible text", () => {
    const utf8Label = { kind: "label", encoding: "utf-8" } as const;
    expect(fitsUnparsed({ charset: utf8Label, coding: { kind: "plain", sniffGzip: false } }, true)).toBe(true);
    expect(fitsUnparsed({ charset: { kind: "none" }, coding: { kind: "plain", sniffGzip: true } }, true)).toBe(true);
    expect(fitsUnparsed({ charset: utf8Label, coding: { kind: "decode", codings: ["deflate"] } }, true)).toBe(false);
    expect(fitsUnparsed({ charset: utf8Label, coding: { kind: "undecodable", coding: "zstd" } }, true)).toBe(false);
    expect(fitsUnparsed({ charset: { kind: "transcode", encoding: "utf-16le" }, coding: { kind: "plain", sniffGzip: false } }, true)).toBe(false);
    expect(fitsUnparsed({ charset: { kind: "transcode", encoding: "utf-16le" }, coding: { kind: "undecodable", coding: "zstd" } }, false)).toBe(true);
  });

  it("the banner's bytes are ASCII and read as the same markup as renderBanner, in every language", () => {
    for (const lang of ["en", "fr"] as const) {
      const path = "/explore/?q=caf%C3%A9&x=<\"'>";
      const target = { formId: "ce-000000000000000000000000" };
      const bytes = bannerBytes(maia, lang, path, target);
      expect(bytes.every((b) => b < 0x80)).toBe(true);
      const decoded = new TextDecoder().decode(bytes).replace(/&#(\d+);/g, (ref, n) => (Number(n) >= 0x80 ? String.fromCodePoint(Number(n)) : ref));
      expect(decoded).toBe(renderBanner(maia, lang, path, target).replace(`<style>${BANNER_CSS}</style>`, `<link rel="stylesheet" href="${BANNER_CSS_URL}" />`));
    }
  });
});

describe("the banner's stylesheet", () => {
  it("is the worker's own, cacheable for a year, and what unparsed pages link", async () => {
    const path = respondPath({ headers: HTML, body: PAGE });
    const html = new TextDecoder().decode(bannerBytes(maia, "en", path));
    const href = /<link rel="stylesheet" href="([^"]+)"/.exec(html)![1];
    expect(href.startsWith(`${BANNER_CSS_PATH}?v=`)).toBe(true);
    expect(html).not.toContain("<style");
    const res = await visit(href, {});
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/css; charset=utf-8");
    expect(res.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(await res.text()).toBe(BANNER_CSS);
    // The parsing path keeps its inline <style> (it knows where the banner lands).
    expect(renderBanner(maia, "en", path)).toContain(`<style>${BANNER_CSS}</style>`);
  });

  it("answers 405 to other methods, and never reaches the origin", async () => {
    const res = await visit(BANNER_CSS_PATH, {}, { method: "POST", body: "x" });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("GET, HEAD");
  });
});

// What the worker does to every response a browser may render as a document, through workerd
// in front of the real origin: content types (rewritten as HTML or served inert), encodings
// (decoded with the header corrected, or refused), charsets, and header vectors.
import { describe, expect, it } from "vitest";
import { RESET_RE } from "../banner-shape";
import { INERT_CSP } from "../../src/csp";
import { FULL_CONSENT_COOKIE, call, respondPath } from "../helpers";

const TRACKER_PAGE = `<!doctype html><html><head><script src="https://www.googletagmanager.com/gtag/js?id=G-1"></script></head><body><script>_paq.push(['trackPageView'])</script><p>x</p></body></html>`;
const LIVE = `<script src="https://www.googletagmanager.com/gtag/js?id=G-1">`;
const full = { cookie: FULL_CONSENT_COOKIE };

function b64(bytes: Uint8Array): string {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

async function compress(data: Uint8Array, format: "gzip" | "deflate" | "deflate-raw"): Promise<Uint8Array> {
  return new Uint8Array(await new Response(new Response(data).body!.pipeThrough(new CompressionStream(format))).arrayBuffer());
}

const utf8 = (s: string) => new TextEncoder().encode(s);

function utf16le(s: string, bom = true): Uint8Array {
  const out = new Uint8Array((bom ? 2 : 0) + s.length * 2);
  let at = 0;
  if (bom) (out[0] = 0xff), (out[1] = 0xfe), (at = 2);
  for (let i = 0; i < s.length; i++, at += 2) (out[at] = s.charCodeAt(i) & 0xff), (out[at + 1] = s.charCodeAt(i) >> 8);
  return out;
}

async function page(headers: Array<[string, string]>, body: Uint8Array | string, init: RequestInit = {}) {
  const spec = typeof body === "string" ? { headers, body } : { headers, bodyBase64: b64(body) };
  const res = await call(respondPath(spec), init);
  const bytes = new Uint8Array(await res.arrayBuffer());
  return { res, bytes, text: new TextDecoder("utf-8", { ignoreBOM: true, fatal: false }).decode(bytes) };
}

describe("content types a browser renders as a document", () => {
  it.each<[string, Array<[string, string]>]>([
    ["two Content-Type headers", [["content-type", "text/plain"], ["content-type", "text/html"]]],
    ["text/plain, text/html in one header", [["content-type", "text/plain, text/html"]]],
    ["text/html, text/plain in one header", [["content-type", "text/html, text/plain"]]],
    ["XHTML", [["content-type", "application/xhtml+xml; charset=utf-8"]]],
    ["upper-case HTML with a quoted charset", [["content-type", 'TEXT/HTML; Charset="UTF-8"']]],
  ])("%s: rewritten and served as one text/html with nosniff", async (_, headers) => {
    const { res, text } = await page(headers, TRACKER_PAGE);
    expect(res.headers.get("content-type")).toMatch(/^text\/html(; charset=utf-8)?$/);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("content-security-policy")).toContain("default-src 'self'");
    expect(text).not.toContain(LIVE);
    expect(text).toContain(`data-consent-blocked="google-analytics"`);
    expect(text).toContain(`<script type="text/plain" data-consent-blocked="matomo">_paq.push`);
  });

  it.each<[string, Array<[string, string]>]>([
    ["no Content-Type", []],
    ["unknown/unknown", [["content-type", "unknown/unknown"]]],
    ["*/*", [["content-type", "*/*"]]],
    ["an unparseable type", [["content-type", "html"]]],
  ])("%s: served inert as text/plain with nosniff", async (_, headers) => {
    const { res, text } = await page(headers, TRACKER_PAGE);
    expect(res.headers.get("content-type")).toBe("text/plain");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("content-security-policy")).toBe(INERT_CSP);
    expect(text).toBe(TRACKER_PAGE);
  });

  it.each([["application/xml"], ["text/xml"], ["image/svg+xml"], ["application/rss+xml"], ["multipart/x-mixed-replace; boundary=x"]])(
    "%s: kept (images, feeds and APIs keep working) with nosniff and the inert CSP a document cannot run anything under",
    async (type) => {
      const { res } = await page([["content-type", type]], `<svg xmlns="http://www.w3.org/2000/svg"><script href="https://www.googletagmanager.com/gtag/js"/></svg>`);
      expect(res.headers.get("content-type")).toBe(type);
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(res.headers.get("content-security-policy")).toBe(INERT_CSP);
    },
  );

  it("leaves every type alone with full consent", async () => {
    for (const headers of [[], [["content-type", "image/svg+xml"]], [["content-type", "text/plain, text/html"]]] as Array<Array<[string, string]>>) {
      const { res, text } = await page(headers, TRACKER_PAGE, { headers: full });
      expect(res.headers.get("content-security-policy")).toBeNull();
      expect(text).toBe(TRACKER_PAGE);
    }
  });

  it("transcodes UTF-16 under a utf-8 label (the BOM wins in the browser) and rewrites it", async () => {
    const { res, text } = await page([["content-type", "text/html; charset=utf-8"]], utf16le(TRACKER_PAGE));
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(text.charCodeAt(0)).toBe(0xfeff); // a UTF-8 BOM: the browser reads what the rewriter read
    expect(text).not.toContain(LIVE);
    expect(text).toContain(`data-consent-blocked="google-analytics"`);
  });

  it("transcodes a utf-16 label without BOM", async () => {
    const { res, text } = await page([["content-type", "text/html; charset=utf-16"]], utf16le(TRACKER_PAGE, false));
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(text).toContain(`data-consent-blocked="google-analytics"`);
  });

  it("serves a page under a replacement-encoding label inert", async () => {
    const { res } = await page([["content-type", "text/html; charset=hz-gb-2312"]], TRACKER_PAGE);
    expect(res.headers.get("content-type")).toBe("text/plain");
    expect(res.headers.get("content-security-policy")).toBe(INERT_CSP);
  });

  it("drops a charset label browsers ignore instead of failing the page", async () => {
    const { res, text } = await page([["content-type", "text/html; charset=bogus-8"]], TRACKER_PAGE);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html");
    expect(text).toContain(`data-consent-blocked="google-analytics"`);
  });
});

describe("content encodings", () => {
  const html = utf8(TRACKER_PAGE);
  it.each<[string, () => Promise<Uint8Array>]>([
    ["deflate", () => compress(html, "deflate")],
    ["deflate (raw, as servers often send it)", () => compress(html, "deflate-raw")],
    ["x-gzip", () => compress(html, "gzip")],
    ["GZIP", () => compress(html, "gzip")],
    ["gzip, gzip", async () => compress(await compress(html, "gzip"), "gzip")],
    ["deflate, gzip", async () => compress(await compress(html, "deflate"), "gzip")],
    ["identity, Deflate", () => compress(html, "deflate-raw")],
  ])("%s: decoded, rewritten, sent without Content-Encoding", async (name, make) => {
    const coding = name.split(" (")[0];
    const { res, text } = await page([["content-type", "text/html"], ["content-encoding", coding]], await make());
    expect(res.status).toBe(200);
    expect(res.headers.get("content-encoding")).toBeNull();
    // Whole: the page's own end, then (no choice yet) the banner after it.
    expect(text).toMatch(new RegExp(`<p>x</p>[\\s\\S]*</body></html>(${RESET_RE}<div id="consent-edge-banner"[\\s\\S]*</div>)?$`));
    expect(text).not.toContain(LIVE);
    expect(text).toContain(`data-consent-blocked="google-analytics"`);
  });

  it("gzip (decoded by the runtime) keeps its header for the runtime's own encoding on the way out", async () => {
    const { res, text } = await page([["content-type", "text/html"], ["content-encoding", "gzip"]], await compress(html, "gzip"));
    expect(res.headers.get("content-encoding")).toBe("gzip");
    expect(text).toContain(`data-consent-blocked="google-analytics"`);
  });

  it.each([["zstd"], ["compress"], ["gzip, br"], ["x-unknown"]])("%s: refused with a 502 before any byte of the page", async (coding) => {
    const { res, text } = await page([["content-type", "text/html"], ["content-encoding", coding]], await compress(html, "gzip"));
    expect(res.status).toBe(502);
    expect(text).toContain("cannot be checked");
  });
});

describe("header vectors", () => {
  const html: Array<[string, string]> = [["content-type", "text/html"]];
  it("drops Link hints to hosts outside the allow-list, keeps the portal's and the necessary sources'", async () => {
    const { res } = await page([...html, ["link", "<https://www.google-analytics.com>; rel=preconnect, </app.css>; rel=preload; as=style, <https://static.opendatasoft.com/x.js>; rel=preload; as=script"], ["link", "<https://www.googletagmanager.com/gtag/js>; rel=\"preload\"; as=script"], ["link", "<https://other.example>; rel=canonical"]], "<p>x");
    const links = res.headers.get("link")!;
    expect(links).not.toContain("google-analytics");
    expect(links).not.toContain("googletagmanager");
    expect(links).toContain("</app.css>; rel=preload");
    expect(links).toContain("<https://static.opendatasoft.com/x.js>");
    expect(links).toContain("<https://other.example>; rel=canonical");
  });

  it("drops a Refresh to a denied service, keeps one to the portal; drops Speculation-Rules", async () => {
    const away = await page([...html, ["refresh", "0; url=https://www.google-analytics.com/collect?v=1"], ["speculation-rules", '"/rules.json"']], "<p>x");
    expect(away.res.headers.get("refresh")).toBeNull();
    expect(away.res.headers.get("speculation-rules")).toBeNull();
    const home = await page([...html, ["refresh", "5;URL='/explore'"]], "<p>x");
    expect(home.res.headers.get("refresh")).toBe("5;URL='/explore'");
  });

  it("keeps them all with full consent", async () => {
    const { res } = await page([...html, ["link", "<https://www.google-analytics.com>; rel=preconnect"], ["refresh", "0; url=https://www.google-analytics.com/"]], "<p>x", { headers: full });
    expect(res.headers.get("link")).toBe("<https://www.google-analytics.com>; rel=preconnect");
    expect(res.headers.get("refresh")).toBe("0; url=https://www.google-analytics.com/");
  });
});

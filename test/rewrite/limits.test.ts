// What bounds a page's CPU (src/rewrite/unparsed.ts PARSE_LIMIT and BANNER_PARSE_LIMIT, src/rewrite/scripts.ts
// ELEMENT_BUDGET): a page longer than the limit passes unparsed under the enforced CSP (its banner
// after it), and a page that brings more elements than the budget to the handlers is cut there.
// Both sides of each bound, in workerd's own HTMLRewriter.
import { describe, expect, it } from "vitest";
import { rewriteHtml } from "../../src/rewrite";
import { bannerBytes } from "../../src/rewrite/banner";
import { bannerShapeOf } from "../banner-shape";
import { ELEMENT_BUDGET } from "../../src/rewrite/scripts";
import { BANNER_PARSE_LIMIT, PARSE_LIMIT, parseLimit } from "../../src/rewrite/unparsed";
import { POLICY, htmlResponse, options, readToEnd } from "./fixtures";

const TRACKER = `<script src="https://www.googletagmanager.com/gtag/js?id=G-1"></script>`;
const HEAD = `<!doctype html><html><head>${TRACKER}<script>_paq.push(['trackPageView'])</script></head><body><p>`;
const TAIL = `</p></body></html>`;
const utf8 = (s: string) => new TextEncoder().encode(s);

/** A page of exactly `bytes` bytes (the tracker tags, then filler), in chunks of 16 KiB, without a length. */
function page(bytes: number): Uint8Array {
  const fill = bytes - HEAD.length - TAIL.length;
  return utf8(HEAD + "x".repeat(fill) + TAIL);
}
function chunked(bytes: Uint8Array, size = 16 * 1024): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream<Uint8Array>(
    {
      pull(c) {
        if (at >= bytes.length) return c.close();
        c.enqueue(bytes.slice(at, at + size));
        at += size;
      },
    },
    { highWaterMark: 0 },
  );
}
const bytesOf = async (res: Response) => new Uint8Array(await res.arrayBuffer());
const concat = (a: Uint8Array, b: Uint8Array) => {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
};

describe("pages longer than the parse limit, enforced CSP", () => {
  // PARSE_LIMIT for a page without the banner; BANNER_PARSE_LIMIT, lower, for one with it (its output is read in JavaScript).
  for (const [limitName, limit, banner] of [
    ["BANNER_PARSE_LIMIT", BANNER_PARSE_LIMIT, true],
    ["PARSE_LIMIT", PARSE_LIMIT, false],
  ] as const) {
    for (const [how, make] of [
      ["with a Content-Length", (b: Uint8Array) => htmlResponse(b, { "content-length": String(b.length) })],
      ["chunked (length unknown)", (b: Uint8Array) => htmlResponse(chunked(b))],
    ] as const) {
      it(`${banner ? "banner due" : "no banner"}, ${how}: ${limitName} bytes are parsed (tracker neutralised${banner ? ", banner in" : ""})`, async () => {
        expect(parseLimit(banner)).toBe(limit);
        const res = await rewriteHtml(make(page(limit)), options({ cspMode: "enforce", banner }));
        expect(res.headers.get("content-security-policy")).toMatch(/^default-src 'self'/);
        const text = await res.text();
        expect(text).toContain('type="text/plain" data-consent-blocked="matomo"');
        expect(text.includes('id="consent-edge-banner"')).toBe(banner);
      });

      it(`${banner ? "banner due" : "no banner"}, ${how}: ${limitName} + 1 bytes pass as sent, the enforced CSP on${banner ? ", the banner after the page" : ""}`, async () => {
        const body = page(limit + 1);
        const res = await rewriteHtml(make(body), options({ cspMode: "enforce", banner }));
        const csp = res.headers.get("content-security-policy")!;
        expect(csp).toMatch(/^default-src 'self'/);
        expect(csp).not.toContain("googletagmanager.com");
        expect(res.headers.get("x-content-type-options")).toBe("nosniff");
        const out = await bytesOf(res);
        expect(out.subarray(0, body.length)).toEqual(body);
        if (banner) {
          expect(res.headers.get("content-length")).toBeNull();
          expect(bannerShapeOf(out.subarray(body.length))).toBe(bannerShapeOf(bannerBytes(POLICY, "en", "/")));
        } else expect(out.length).toBe(body.length);
      });
    }
  }

  it("a refused visitor's page past the limit with a Content-Length: the bytes as sent, its length kept", async () => {
    const body = page(PARSE_LIMIT + 1);
    const res = await rewriteHtml(htmlResponse(body, { "content-length": String(body.length) }), options({ cspMode: "enforce" }));
    expect(res.headers.get("content-length")).toBe(String(body.length));
    expect(await bytesOf(res)).toEqual(body);
  });

  it("without an enforced CSP (full coverage), a page past the limit is still parsed: nothing else would protect it", async () => {
    const text = await (await rewriteHtml(htmlResponse(chunked(page(PARSE_LIMIT + 1))), options({ cspMode: "report-only" }))).text();
    expect(text).toContain('data-consent-blocked="ga"');
    expect(text).toContain('data-consent-blocked="matomo"');
  });
});

describe("ELEMENT_BUDGET: elements brought to the enforced CSP's handlers", () => {
  const scripts = (n: number) => `<!doctype html><html><head>${TRACKER}</head><body>${Array.from({ length: n - 2 }, (_, i) => `<script>var x${i} = ${i};</script>`).join("")}<script>_paq.push(1)</script><p>end</p></body></html>`;

  it(`${ELEMENT_BUDGET} scripts: the page arrives whole, the last one inspected`, async () => {
    const text = await (await rewriteHtml(htmlResponse(scripts(ELEMENT_BUDGET)), options({ cspMode: "enforce" }))).text();
    expect(text).toContain('<script type="text/plain" data-consent-blocked="matomo">_paq.push(1)</script><p>end</p>');
  });

  it(`${ELEMENT_BUDGET + 1} scripts: the page is cut before the element past the budget, never completed`, async () => {
    const res = await rewriteHtml(htmlResponse(scripts(ELEMENT_BUDGET + 1)), options({ cspMode: "enforce" }));
    const read = readToEnd(res.body!);
    await expect(read.done).rejects.toThrow(/more than 150/);
    const text = read.received.text;
    expect(text).not.toContain("_paq.push(1)");
    expect(text).not.toContain("<p>end</p>");
  });

  it("links and meta refreshes count too", async () => {
    const hints = `<!doctype html><html><head>${Array.from({ length: ELEMENT_BUDGET + 1 }, (_, i) => `<link rel="preload" href="/a${i}.css" as="style">`).join("")}</head><body><p>end</p></body></html>`;
    await expect((await rewriteHtml(htmlResponse(hints), options({ cspMode: "enforce" }))).text()).rejects.toThrow(/more than 150/);
  });

  it("the full coverage (no enforced CSP) has no budget: it looks at every element anyway", async () => {
    const text = await (await rewriteHtml(htmlResponse(scripts(ELEMENT_BUDGET + 50)), options({ cspMode: "off" }))).text();
    expect(text).toContain('data-consent-blocked="matomo">_paq.push(1)</script><p>end</p>');
  });
});

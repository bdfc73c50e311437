import { describe, expect, it } from "vitest";
import { leavesAlone, rewriteHtml } from "../../src/rewrite";
import { bannerShape } from "../banner-shape";
import { ALL_KEYS, chunked, consentOf, htmlResponse, options, POLICY } from "./fixtures";

const PAGE = `<!doctype html><html><head><script async src="https://www.googletagmanager.com/gtag/js?id=G-1"></script></head><body><p>x</p></body></html>`;

async function gzip(text: string, format: "gzip" | "deflate" = "gzip"): Promise<ArrayBuffer> {
  return new Response(new Response(text).body!.pipeThrough(new CompressionStream(format))).arrayBuffer();
}

describe("what is not rewritten", () => {
  for (const type of ["application/json", "text/css", "text/javascript", "text/plain", "image/png", "application/pdf", "text/csv; charset=utf-8"]) {
    it(`returns a ${type} response as the same object`, async () => {
      const res = new Response(PAGE, { headers: { "content-type": type } });
      expect(await rewriteHtml(res, options({ banner: true }))).toBe(res);
    });
  }

  it("returns a body-less HTML response (HEAD, 304) as it is", async () => {
    const res = new Response(null, { status: 304, headers: { "content-type": "text/html" } });
    expect(await rewriteHtml(res, options({ banner: true }))).toBe(res);
  });

  it("returns a fully consented page without a banner untouched, byte for byte", async () => {
    const res = htmlResponse(PAGE);
    const out = await rewriteHtml(res, options({ consent: consentOf(...ALL_KEYS) }));
    expect(out).toBe(res);
    expect(await out.text()).toBe(PAGE);
  });

  it("rewrites HTML whatever the media type's case and parameters, and XHTML", async () => {
    for (const type of ["TEXT/HTML; charset=UTF-8", "application/xhtml+xml"]) {
      const res = new Response(PAGE, { headers: { "content-type": type } });
      expect(await (await rewriteHtml(res, options())).text()).toContain(`data-consent-blocked="ga"`);
    }
  });
});

describe("response metadata", () => {
  it("keeps status and headers, Set-Cookie included, and drops the stale Content-Length", async () => {
    const headers = new Headers({ "content-type": "text/html", "content-length": String(PAGE.length), "x-a": "1" });
    headers.append("set-cookie", "sessionid=1; Path=/");
    headers.append("set-cookie", "csrftoken=2; Path=/");
    const out = await rewriteHtml(new Response(PAGE, { status: 404, statusText: "Not Found", headers }), options());
    expect(out.status).toBe(404);
    expect(out.headers.get("x-a")).toBe("1");
    expect(out.headers.getSetCookie()).toEqual(["sessionid=1; Path=/", "csrftoken=2; Path=/"]);
    expect(out.headers.get("content-length")).toBeNull();
    expect(await out.text()).toContain(`data-consent-blocked="ga"`);
  });
});

describe("encoded bodies", () => {
  it("rewrites a gzip body still compressed (encodeBody manual), and keeps the encoding for the way out", async () => {
    const res = new Response(await gzip(PAGE), {
      headers: { "content-type": "text/html", "content-encoding": "gzip" },
      encodeBody: "manual",
    });
    const out = await rewriteHtml(res, options());
    expect(out.headers.get("content-encoding")).toBe("gzip");
    const text = await out.text();
    expect(text).toContain(`<script async src="https://www.googletagmanager.com/gtag/js?id=G-1" type="text/plain" data-consent-blocked="ga">`);
    expect(text).toContain(`<p>x</p></body></html>`);
  });

  it("rewrites a compressed body arriving in tiny pieces", async () => {
    const bytes = new Uint8Array(await gzip(PAGE));
    let at = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        if (at >= bytes.length) return c.close();
        c.enqueue(bytes.slice(at, at + 5));
        at += 5;
      },
    });
    const res = new Response(body, { headers: { "content-type": "text/html", "content-encoding": "gzip" }, encodeBody: "manual" });
    expect(await (await rewriteHtml(res, options())).text()).toContain(`data-consent-blocked="ga"`);
  });

  it("rewrites a deflate (zlib) body still compressed", async () => {
    const res = new Response(await gzip(PAGE, "deflate"), {
      headers: { "content-type": "text/html", "content-encoding": "deflate" },
      encodeBody: "manual",
    });
    expect(await (await rewriteHtml(res, options())).text()).toContain(`data-consent-blocked="ga"`);
  });

  it("rewrites a body fetch() already decoded that still carries Content-Encoding: gzip or br", async () => {
    for (const encoding of ["gzip", "br"]) {
      const res = htmlResponse(PAGE, { "content-encoding": encoding });
      const out = await rewriteHtml(res, options());
      expect(out.headers.get("content-encoding")).toBe(encoding);
      expect(await out.text()).toContain(`data-consent-blocked="ga"`);
    }
  });

  it("refuses, before a byte of the page, a coding it cannot decode (a 502 that keeps the decided Set-Cookie lines)", async () => {
    for (const encoding of ["zstd", "compress", "gzip, br", "x-bogus"]) {
      const headers = new Headers({ "content-type": "text/html", "content-encoding": encoding });
      headers.append("set-cookie", "sessionid=1; Path=/");
      const out = await rewriteHtml(new Response(PAGE, { headers, encodeBody: "manual" }), options());
      expect(out.status, encoding).toBe(502);
      expect(out.headers.get("content-encoding")).toBeNull();
      expect(out.headers.getSetCookie()).toEqual(["sessionid=1; Path=/"]);
      const text = await out.text();
      expect(text).toContain("cannot be checked");
      expect(text).not.toContain("googletagmanager");
    }
  });
});

describe("streaming a large page", () => {
  /** A page of about 5 MB in 64 KB chunks, an inline tracker at its end; `pulled()`: chunks the origin gave so far. */
  function largePage() {
    const piece = new TextEncoder().encode(`<p>${"lorem ipsum ".repeat(40)}<img src="/img/${"a".repeat(20)}.png"></p>\n`);
    const perChunk = Math.floor(65536 / piece.length);
    const chunkBytes = new Uint8Array(piece.length * perChunk);
    for (let i = 0; i < perChunk; i++) chunkBytes.set(piece, i * piece.length);
    const total = Math.ceil((5 * 1024 * 1024) / chunkBytes.length);
    const encoder = new TextEncoder();
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        if (pulled === 0) c.enqueue(encoder.encode(`<!doctype html><html><body>`));
        if (pulled === total) {
          c.enqueue(encoder.encode(`<script>var _paq=[];_paq.push(['trackPageView'])</script></body></html>`));
          return c.close();
        }
        pulled++;
        c.enqueue(chunkBytes);
      },
    }, { highWaterMark: 0 });
    return { body, total, pulled: () => pulled };
  }

  async function readAll(reader: ReadableStreamDefaultReader<Uint8Array>, first: Uint8Array) {
    let size = first.byteLength;
    let tail = "";
    const decoder = new TextDecoder();
    for (;;) {
      const r = await reader.read();
      if (r.done) break;
      size += r.value.byteLength;
      tail = (tail + decoder.decode(r.value, { stream: true })).slice(-300);
    }
    return { size, tail };
  }

  it("parsed (no enforced CSP): gives out the start of a 5 MB page before the origin has sent most of it, and blocks its last tracker", async () => {
    const page = largePage();
    const reader = (await rewriteHtml(htmlResponse(page.body), options({ cspMode: "off" }))).body!.getReader();
    const first = await reader.read();
    expect(first.done).toBe(false);
    // Backpressure holds: the first bytes out needed only a small part of the source.
    expect(page.pulled()).toBeLessThan(page.total / 4);
    const { size, tail } = await readAll(reader, first.value!);
    expect(page.pulled()).toBe(page.total);
    expect(size).toBeGreaterThan(5 * 1024 * 1024);
    expect(tail).toContain(`<script type="text/plain" data-consent-blocked="matomo">var _paq=[];`);
  });

  it("past PARSE_LIMIT under the enforced CSP: counted (a little over 1 MiB read), then streamed unparsed with the CSP, backpressure kept", async () => {
    const page = largePage();
    const res = await rewriteHtml(htmlResponse(page.body), options());
    expect(res.headers.get("content-security-policy")).toMatch(/^default-src 'self'/);
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(first.done).toBe(false);
    expect(page.pulled()).toBeLessThan(page.total / 4);
    const { size, tail } = await readAll(reader, first.value!);
    expect(page.pulled()).toBe(page.total);
    expect(size).toBeGreaterThan(5 * 1024 * 1024);
    // As sent: the CSP is what keeps the tracker's host away.
    expect(tail).toContain(`<script>var _paq=[];_paq.push(['trackPageView'])</script></body></html>`);
  });
});

describe("Content-Security-Policy", () => {
  it("is enforced by default, whenever some service is not consented to", async () => {
    const csp = (await rewriteHtml(htmlResponse(PAGE), options())).headers.get("content-security-policy")!;
    expect(csp).toContain("script-src 'self' 'unsafe-inline' 'unsafe-eval' cdn.example.net *.cdn.example.net");
    expect(csp).not.toContain("googletagmanager.com");
    expect(csp).toMatch(/img-src 'self' data: blob:/);
    expect(csp).toMatch(/connect-src 'self'/);
    expect(csp).toMatch(/frame-src 'self'/);
    expect(csp).toContain("object-src 'none'");
    expect(csp).toContain("base-uri 'self'");
    // Unsampled: no report directive.
    expect(csp).not.toContain("report-");
  });

  it("is sent as Report-Only in report-only mode, and only on responses sampled for reports", async () => {
    const policy = { ...POLICY, csp: "report-only" as const };
    const quiet = await rewriteHtml(htmlResponse(PAGE), options({ policy }));
    expect(quiet.headers.get("content-security-policy")).toBeNull();
    expect(quiet.headers.get("content-security-policy-report-only")).toBeNull();
    const sampled = await rewriteHtml(htmlResponse(PAGE), options({ policy, report: true }));
    expect(sampled.headers.get("content-security-policy")).toBeNull();
    expect(sampled.headers.get("content-security-policy-report-only")).toContain("report-uri /.consent-edge/csp-report");
  });

  it("is not sent when the mode is off, by policy or by override", async () => {
    expect((await rewriteHtml(htmlResponse(PAGE), options({ policy: { ...POLICY, csp: "off" } }))).headers.get("content-security-policy")).toBeNull();
    expect((await rewriteHtml(htmlResponse(PAGE), options({ cspMode: "off" }))).headers.get("content-security-policy")).toBeNull();
  });

  it("asks for reports through report-uri, and report-to with Reporting-Endpoints over https", async () => {
    const plain = (await rewriteHtml(htmlResponse(PAGE), options({ report: true }))).headers;
    expect(plain.get("content-security-policy")).toMatch(/; report-uri \/\.consent-edge\/csp-report$/);
    expect(plain.get("reporting-endpoints")).toBeNull();
    const secure = (await rewriteHtml(htmlResponse(PAGE), options({ report: true, secure: true }))).headers;
    expect(secure.get("content-security-policy")).toMatch(/; report-uri \/\.consent-edge\/csp-report; report-to consent-edge$/);
    expect(secure.get("reporting-endpoints")).toBe(`consent-edge="/.consent-edge/csp-report"`);
  });

  it("lists consented hosts and not refused ones", async () => {
    const csp = (await rewriteHtml(htmlResponse(PAGE), options({ consent: consentOf("ga") }))).headers.get("content-security-policy")!;
    expect(csp).toContain("googletagmanager.com *.googletagmanager.com");
    expect(csp).toContain("google-analytics.com *.google-analytics.com");
    expect(csp).not.toContain("stats.example.org");
    expect(csp).not.toContain("aticdn.net");
  });

  it("is absent with full consent (the page passes untouched)", async () => {
    const res = htmlResponse(PAGE);
    expect(await rewriteHtml(res, options({ consent: consentOf(...ALL_KEYS) }))).toBe(res);
  });

  it("adds a second policy next to the origin's own, which browsers enforce together", async () => {
    const res = htmlResponse(PAGE, { "content-security-policy": "default-src 'self'" });
    const csp = (await rewriteHtml(res, options())).headers.get("content-security-policy")!;
    expect(csp.startsWith("default-src 'self', default-src 'self' cdn.example.net")).toBe(true);
  });
});

// src/index.ts tells forwardToOrigin that pages pass as they came from this same rule, so it must
// agree with what rewriteHtml does: the same Response back exactly when the rule says so.
describe("leavesAlone, the rule index.ts shares with rewriteHtml", () => {
  const states: Array<[string, string[], boolean]> = [
    ["every key granted, no banner", ALL_KEYS, false],
    ["every key granted, banner due", ALL_KEYS, true],
    ["one key missing, no banner", ALL_KEYS.slice(1), false],
    ["nothing granted, no banner", [], false],
    ["nothing granted, banner due", [], true],
  ];
  for (const [label, keys, banner] of states) {
    it(`${label}: ${keys.length === ALL_KEYS.length && !banner ? "left alone" : "rewritten"}, and rewriteHtml agrees`, async () => {
      const consent = consentOf(...keys);
      const alone = leavesAlone(POLICY, consent, banner);
      expect(alone).toBe(keys.length === ALL_KEYS.length && !banner);
      const res = htmlResponse(PAGE);
      const out = await rewriteHtml(res, options({ consent, banner }));
      expect(out === res).toBe(alone);
      await out.text();
    });
  }
});

describe("the caller's Response", () => {
  const unparsed = { cspMode: "enforce", markupMode: "csp-only" } as const;
  const mutable = () => new Response(PAGE, { status: 203, headers: { "content-type": "text/html", "x-a": "1", "content-length": String(PAGE.length) } });

  it("is never modified, even with mutable headers: the answer is another Response with the same page and status", async () => {
    for (const over of [unparsed, { ...unparsed, banner: true }, { banner: true }, {}]) {
      const res = mutable();
      const out = await rewriteHtml(res, options(over));
      expect(out).not.toBe(res);
      expect(res.headers.get("content-security-policy")).toBeNull();
      expect(res.headers.get("x-content-type-options")).toBeNull();
      expect(out.headers.get("content-security-policy")).toMatch(/script-src/);
      expect(out.status).toBe(203);
    }
    const out = await rewriteHtml(mutable(), options(unparsed));
    expect(out.headers.get("content-length")).toBe(String(PAGE.length));
    expect(await out.text()).toBe(PAGE);
  });
});

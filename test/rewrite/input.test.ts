// The rewriter's input (src/rewrite/decode-body.ts): most pages go to HTMLRewriter natively, after
// JavaScript has looked at their first bytes. These are the bodies that decision could get wrong:
// a byte order mark or a gzip header split over tiny chunks, a `<meta>` charset after the first
// chunk, empty bodies, origins that fail, visitors who leave, bodies the runtime cannot pipe.
import { describe, expect, it } from "vitest";
import { RESET_RE } from "../banner-shape";
import { injectBanner, rewriteHtml } from "../../src/rewrite";
import { POLICY, htmlResponse, options, readToEnd } from "./fixtures";

const TRACKER = `<script src="https://www.googletagmanager.com/gtag/js?id=G-1"></script>`;
const DOC = `<!doctype html><html><head>${TRACKER}</head><body><script>_paq.push(['trackPageView'])</script><p>x</p></body></html>`;
const BLOCKED_SRC = `data-consent-blocked="ga"`;
const BLOCKED_INLINE = `<script type="text/plain" data-consent-blocked="matomo">_paq.push`;

/** `bytes` in pieces of the given sizes (the last size repeats), one per pull. */
function pieces(bytes: Uint8Array, ...sizes: number[]): ReadableStream<Uint8Array> {
  let at = 0;
  let i = 0;
  return new ReadableStream<Uint8Array>(
    {
      pull(c) {
        if (at >= bytes.length) return c.close();
        const size = sizes[Math.min(i++, sizes.length - 1)];
        c.enqueue(bytes.slice(at, at + size));
        at += size;
      },
    },
    { highWaterMark: 0 },
  );
}

function utf16(s: string, order: "le" | "be"): Uint8Array {
  const out = new Uint8Array(2 + s.length * 2);
  out.set(order === "le" ? [0xff, 0xfe] : [0xfe, 0xff]);
  for (let i = 0; i < s.length; i++) {
    const [lo, hi] = [s.charCodeAt(i) & 0xff, s.charCodeAt(i) >> 8];
    out.set(order === "le" ? [lo, hi] : [hi, lo], 2 + i * 2);
  }
  return out;
}

const utf8 = (s: string) => new TextEncoder().encode(s);
const decode = async (res: Response) => new TextDecoder("utf-8", { ignoreBOM: true, fatal: false }).decode(await res.arrayBuffer());

describe("byte order marks and charsets, whatever the chunks", () => {
  for (const order of ["le", "be"] as const) {
    for (const first of [1, 2, 3]) {
      it(`a UTF-16${order.toUpperCase()} BOM under a utf-8 label, in a ${first}-byte first chunk: transcoded and rewritten`, async () => {
        const out = await rewriteHtml(htmlResponse(pieces(utf16(DOC, order), first, 1, 7)), options());
        const text = await decode(out);
        expect(text.charCodeAt(0)).toBe(0xfeff);
        expect(text).toContain(BLOCKED_SRC);
        expect(text).toContain(BLOCKED_INLINE);
        expect(text).toContain("<p>x</p>");
      });
    }
  }

  it("a UTF-8 BOM in 1-byte chunks passes as it is (the rewriter reads UTF-8, the BOM kept)", async () => {
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...utf8(DOC)]);
    const out = new Uint8Array(await (await rewriteHtml(htmlResponse(pieces(bytes, 1)), options())).arrayBuffer());
    expect([...out.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = new TextDecoder().decode(out);
    expect(text).toContain(BLOCKED_SRC);
    expect(text).toContain(BLOCKED_INLINE);
  });

  it("a body of just a UTF-16 BOM gives a page of just a UTF-8 BOM", async () => {
    const out = await rewriteHtml(htmlResponse(pieces(new Uint8Array([0xff, 0xfe]), 1)), options());
    expect([...new Uint8Array(await out.arrayBuffer())]).toEqual([0xef, 0xbb, 0xbf]);
  });

  it("without a label, a <meta charset=iso-2022-jp> after the first chunk (within 1024 bytes) is honoured: escapes cannot hide a tag", async () => {
    // The browser drops ESC ( B (a switch to ASCII): it reads `<script src=…>`; an ASCII reader would not.
    const head = `<!doctype html><html><head><title>${"t".repeat(200)}</title>`;
    const rest = `<meta charset="iso-2022-jp"></head><body><scr\x1b(Bipt src="https://www.googletagmanager.com/gtag/js"></scr\x1b(Bipt><p>x</p></body></html>`;
    const bytes = utf8(head + rest);
    const out = await rewriteHtml(new Response(pieces(bytes, head.length, 16), { headers: { "content-type": "text/html" } }), options());
    const text = await decode(out);
    expect(text.charCodeAt(0)).toBe(0xfeff);
    expect(text).toContain(`<script src="https://www.googletagmanager.com/gtag/js" type="text/plain" ${BLOCKED_SRC}>`);
  });

  it("without a label or meta, ESC bytes in the first 1024 bytes (even after the first chunk) get a UTF-8 BOM, so no detector picks ISO-2022-JP", async () => {
    const head = `<!doctype html><html><head><title>${"t".repeat(100)}</title>`;
    const bytes = utf8(`${head}\x1b(B</head><body>${TRACKER}</body></html>`);
    const out = await rewriteHtml(new Response(pieces(bytes, head.length, 5), { headers: { "content-type": "text/html" } }), options());
    const text = await decode(out);
    expect(text.charCodeAt(0)).toBe(0xfeff);
    expect(text).toContain(BLOCKED_SRC);
  });

  it("a gzip body (encodeBody manual) in 1-byte chunks is still seen as gzip, decoded and rewritten", async () => {
    const gz = new Uint8Array(await new Response(new Response(DOC).body!.pipeThrough(new CompressionStream("gzip"))).arrayBuffer());
    const res = new Response(pieces(gz, 1), { headers: { "content-type": "text/html", "content-encoding": "gzip" }, encodeBody: "manual" });
    const text = await (await rewriteHtml(res, options())).text();
    expect(text).toContain(BLOCKED_SRC);
    expect(text).toContain(BLOCKED_INLINE);
  });

  it("a deflate body in 1-byte chunks: the zlib header is read whole", async () => {
    const z = new Uint8Array(await new Response(new Response(DOC).body!.pipeThrough(new CompressionStream("deflate"))).arrayBuffer());
    const res = new Response(pieces(z, 1), { headers: { "content-type": "text/html", "content-encoding": "deflate" }, encodeBody: "manual" });
    const out = await rewriteHtml(res, options());
    expect(out.headers.get("content-encoding")).toBeNull();
    expect(await out.text()).toContain(BLOCKED_SRC);
  });
});

describe("bodies that end early or fail", () => {
  it("an empty body: an empty page, or only the banner when it is due", async () => {
    const empty = () => new ReadableStream<Uint8Array>({ start: (c) => c.close() });
    expect(await (await rewriteHtml(htmlResponse(empty()), options())).text()).toBe("");
    expect(await (await rewriteHtml(htmlResponse(empty()), options({ banner: true }))).text()).toMatch(new RegExp(`^${RESET_RE}<div id="consent-edge-banner"`));
    // Empty chunks first, then nothing.
    const blanks = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new Uint8Array(0));
        c.enqueue(new Uint8Array(0));
        c.close();
      },
    });
    expect(await (await rewriteHtml(htmlResponse(blanks), options())).text()).toBe("");
  });

  it("a body shorter than the bytes looked at (2 bytes) is rewritten whole", async () => {
    expect(await (await rewriteHtml(htmlResponse(pieces(utf8("<p"), 1)), options())).text()).toBe("<p");
  });

  it("an origin body that fails before its first byte: the page fails, nothing is completed", async () => {
    const body = new ReadableStream<Uint8Array>({ pull: (c) => c.error(new Error("origin reset")) });
    await expect((await rewriteHtml(htmlResponse(body), options())).text()).rejects.toThrow();
  });

  it("an origin body that fails after its first bytes: the page is cut, never completed, and what came was rewritten", async () => {
    let n = 0;
    const body = new ReadableStream<Uint8Array>(
      {
        pull(c) {
          if (n++ === 0) c.enqueue(utf8(`<!doctype html><html><head>${TRACKER}<script>_paq.push(1)</script>`));
          else c.error(new Error("origin reset"));
        },
      },
      { highWaterMark: 0 },
    );
    const read = readToEnd((await rewriteHtml(htmlResponse(body), options({ banner: true }))).body!);
    await expect(read.done).rejects.toThrow();
    const text = read.received.text;
    expect(text).not.toContain(TRACKER);
    expect(text).not.toContain("consent-edge-banner");
  });

  // With the banner due the output goes through JavaScript (withBannerOnFailure): the same holds.
  for (const banner of [false, true]) {
    it(`a visitor who leaves (the page cancelled) cancels the origin's body${banner ? ", banner due" : ""}`, async () => {
      let cancelled: unknown;
      const body = new ReadableStream<Uint8Array>(
        {
          pull: (c) => c.enqueue(utf8(`<p>${"x".repeat(banner ? 4000 : 1000)}</p>`)),
          cancel: (reason) => void (cancelled = reason ?? true),
        },
        { highWaterMark: 0 },
      );
      const reader = (await rewriteHtml(htmlResponse(body), options({ banner }))).body!.getReader();
      await reader.read();
      await reader.cancel("gone");
      for (let i = 0; i < 50 && cancelled === undefined; i++) await new Promise((r) => setTimeout(r, 10));
      expect(cancelled).toBeDefined();
    });
  }
});

describe("bodies the runtime cannot pipe", () => {
  it("the middleware's injectBanner takes any app's body, an IdentityTransformStream's included, without hanging", async () => {
    const { readable, writable } = new IdentityTransformStream();
    const writer = writable.getWriter();
    void writer.write(utf8("<!doctype html><html><body><p>x</p></body></html>")).then(() => writer.close());
    const out = injectBanner(htmlResponse(readable), { policy: POLICY, lang: "en", returnPath: "/" });
    expect(await out.text()).toMatch(new RegExp(`<p>x</p></body></html>${RESET_RE}<div id="consent-edge-banner"`));
  });

  // rewriteHtml reads the body through a tee(), not a pipe: the bodies workerd could not pipe
  // (an IdentityTransformStream's, another rewriter's output, a tee branch) are read as well.
  for (const [name, make] of [
    ["an IdentityTransformStream's", () => {
      const { readable, writable } = new IdentityTransformStream();
      const writer = writable.getWriter();
      void writer.write(utf8(DOC)).then(() => writer.close());
      return readable;
    }],
    ["another HTMLRewriter's output", () => new HTMLRewriter().on("p", { element() {} }).transform(new Response(DOC)).body!],
    ["a tee branch", () => new Response(DOC).body!.tee()[0]],
  ] as const) {
    it(`rewriteHtml reads ${name} body, blocks, and ends`, async () => {
      const text = await (await rewriteHtml(htmlResponse(make()), options())).text();
      expect(text).toContain(BLOCKED_SRC);
      expect(text).toContain(BLOCKED_INLINE);
      expect(text).toContain("<p>x</p></body></html>");
    });
  }
});

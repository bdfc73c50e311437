// Inline scripts held back and searched (src/rewrite/scripts.ts), on the inputs that could split a
// marker: text in tiny chunks, and SVG scripts, whose text the browser joins from several text
// nodes (CDATA sections, comments and child elements between them).
import { describe, expect, it } from "vitest";
import { INLINE_BUFFER_LIMIT } from "../../src/rewrite";
import { chunked, consentOf, ALL_KEYS, rewrite } from "./fixtures";

/** The text of every script a browser would run (type absent or JavaScript), SVG's joined from its text nodes. */
function liveScriptText(html: string): string[] {
  return [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)(?:<\/script>|$)/gi)]
    .filter((m) => !/\btype\s*=\s*["']?text\/plain/i.test(m[1]))
    .map((m) => m[2].replace(/<!--[\s\S]*?-->|<!\[CDATA\[|\]\]>|<[^>]*>/g, ""));
}

const modes = ["enforce", "off"] as const;

describe("SVG scripts: a marker split over text nodes", () => {
  const splits: Array<[string, string]> = [
    ["a comment", `<svg><script>_p<!---->aq.push(['trackPageView'])</script></svg>`],
    ["two CDATA sections", `<svg><script><![CDATA[_p]]><![CDATA[aq.push(1)]]></script></svg>`],
    ["a child element", `<svg><script>_p<g/>aq.push(1)</script></svg>`],
    ["text, then CDATA", `<svg><script>var u = 1; _p<![CDATA[aq.push(u)]]></script></svg>`],
    ["a reference in a later node", `<svg><script>_p<!---->aq&#46;push(1)</script></svg>`],
    ["three nodes", `<svg><script>gt<!---->a<!---->g('config')</script></svg>`],
  ];
  for (const mode of modes) {
    for (const [name, html] of splits) {
      it(`${name} (${mode}): the joined marker never runs`, async () => {
        const out = await rewrite(html, { cspMode: mode });
        for (const text of liveScriptText(out)) {
          expect(text.toLowerCase().replace(/&#46;/g, ".")).not.toMatch(/_paq\.push|gtag\(/);
        }
        // With consent, the page is untouched.
        expect(await rewrite(html, { cspMode: mode, consent: consentOf(...ALL_KEYS) })).toBe(html);
      });
    }
  }

  it("an SVG script of several nodes and no marker is left byte for byte", async () => {
    const html = `<svg><script>\n<![CDATA[\nvar a = 1 < 2 && 3;\n]]>\n<!-- x --></script><rect/></svg><p>x</p>`;
    for (const mode of modes) expect(await rewrite(html, { cspMode: mode })).toBe(html);
  });

  it("a marker in the first node neutralises the whole SVG script as before", async () => {
    const out = await rewrite(`<svg><script>_paq.push(1)<![CDATA[more()]]></script></svg>`, { cspMode: "enforce" });
    expect(out).toBe(`<svg><script type="text/plain" data-consent-blocked="matomo">_paq.push(1)<![CDATA[more()]]></script></svg>`);
  });

  it("a later SVG node too long to read is dropped, never left live", async () => {
    const long = "x".repeat(INLINE_BUFFER_LIMIT + 10);
    const out = await rewrite(chunked(`<svg><script>var a;<![CDATA[${long}_paq.push(1)]]></script></svg><p>end</p>`, 4096), { cspMode: "enforce" });
    expect(out).not.toContain("_paq.push");
    expect(out).not.toContain(long);
    expect(out).toContain("<p>end</p>");
  });
});

describe("HTML scripts: a marker split over input chunks", () => {
  for (const size of [1, 2, 3, 7]) {
    it(`in ${size}-byte chunks`, async () => {
      const html = `<!doctype html><head><script>var x = 1; _paq.push(['trackPageView']); gtag('js')</script></head><p>x</p>`;
      for (const mode of modes) {
        const out = await rewrite(chunked(html, size), { cspMode: mode });
        expect(out).toContain(`<script type="text/plain" data-consent-blocked="ga">var x = 1; _paq.push(['trackPageView']); gtag('js')</script>`);
        expect(liveScriptText(out).join("")).toBe("");
      }
    });
  }

  it("a script without a marker comes out byte for byte, attributes as written", async () => {
    const html = `<script nonce="n1" data-x='a"b' defer>var a = "</scr" + "ipt>"; f(1)</script><p>x</p>`;
    for (const mode of modes) expect(await rewrite(chunked(html, 5), { cspMode: mode })).toBe(`<script nonce="n1" data-x="a&quot;b" defer="">var a = "</scr" + "ipt>"; f(1)</script><p>x</p>`);
  });
});

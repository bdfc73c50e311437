// A page the runtime's parser gives up on (a `<style>` inside a `<select>`: lol-html cannot tell
// its text type without the tree) ends cleanly with the banner (src/rewrite/index.ts
// withBannerOnFailure): what is sent is the page as written up to some point before the failure,
// byte for byte, then the banner; nothing after the failure is sent (fail closed). What the
// runtime had parsed but not yet given out when it failed is lost (its last input chunk at least;
// and up to a piece more, as the output is read in pieces of at least 16 KiB, then 256 KiB). The
// cases put the failure before, at and past those sizes, in small and large input chunks.
import { describe, expect, it } from "vitest";
import { rewriteHtml } from "../../src/rewrite";
import { chunked, htmlResponse, options } from "./fixtures";

const BANNER = 'id="consent-edge-banner"';

describe("a page the parser gives up on, banner due", () => {
  for (const before of [100, 10_000, 16 * 1024, 40_000, 100_000, 200_000, 272 * 1024, 300_000]) {
    for (const chunk of [1024, 64 * 1024]) {
      it(`${before} bytes before <select><style>, input in ${chunk}-byte chunks: all of them kept, then the banner, nothing after`, async () => {
        const filler = "<p>" + "k".repeat(before) + "</p><p id=last-kept>kept</p>";
        const page = `<!doctype html><html><head><title>t</title></head><body>${filler}<select><style>p{}</style></select><p id=after>after</p></body></html>`;
        const res = await rewriteHtml(htmlResponse(chunked(page, chunk)), options({ cspMode: "enforce", banner: true }));
        const text = await res.text();
        const banner = text.indexOf("<!--'\"]]>-->");
        expect(banner).toBeGreaterThanOrEqual(0);
        // A prefix of the page before the failure, as written; then the banner (BANNER_RESET first), and nothing else.
        expect(page.startsWith(text.slice(0, banner))).toBe(true);
        expect(banner).toBeLessThanOrEqual(page.indexOf("<select>"));
        expect(text.slice(banner)).toContain(BANNER);
        expect(text.slice(banner)).not.toContain("id=after");
        expect(text.slice(banner)).not.toContain("<select>");
        // The banner's start tag and its form: one banner, whole.
        expect(text.split(BANNER).length).toBe(2);
        expect(text.trimEnd().endsWith("</div>") || text.trimEnd().endsWith("</aside>") || text.trimEnd().endsWith("</section>")).toBe(true);
        console.log(`KEPT before=${before} chunk=${chunk} kept=${banner}`);
      });
    }
  }
});

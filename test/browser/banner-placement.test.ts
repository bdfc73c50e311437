// The banner is written after the end of the document (src/rewrite addBanner): HTML parsers put
// content after </html> into the body. Checked in real Chromium on the page shapes that matter:
// a plain page, an XHTML page (served as HTML by the rewriter), a page without </body> or
// </html>, one with a comment after </html>, and a frameset (which shows no banner at all).
import { describe, expect, it } from "vitest";
import { useChromiumStack } from "./chromium";

const BANNER = "#consent-edge-banner";

/** The demo origin's fixture route answering exactly this page (demo/origin.mjs /__fixture/respond). */
function fixture(body: string, contentType = "text/html; charset=utf-8"): string {
  const spec = Buffer.from(JSON.stringify({ headers: [["Content-Type", contentType]], body })).toString("base64url");
  return `/__fixture/respond?spec=${spec}`;
}

/** [name, page, content type, where the banner lands: "last" child of the body, or "inside" an element left open]. */
const PAGES: Array<[string, string, string | undefined, "last" | "inside"]> = [
  ["a plain page", `<!doctype html><html><head><title>t</title></head><body><main><h1>Portal</h1><p>text</p></main></body></html>`, undefined, "last"],
  [
    "an XHTML page",
    `<?xml version="1.0" encoding="UTF-8"?><html xmlns="http://www.w3.org/1999/xhtml"><head><title>t</title></head><body><main><h1>Portal</h1></main></body></html>`,
    "application/xhtml+xml",
    "last",
  ],
  ["a page without </body> and </html>", `<!doctype html><html><head><title>t</title></head><body><main><h1>Portal</h1><p>text`, undefined, "inside"],
  ["a page with a comment after </html>", `<!doctype html><html><head><title>t</title></head><body><main><h1>Portal</h1></main></body></html>\n<!-- served by ods -->\n`, undefined, "last"],
];

describe("the banner after the document's end, in Chromium", () => {
  const chromium = useChromiumStack({ protocol: "http" });

  for (const [name, body, type, lands] of PAGES) {
    it(`${name}: the banner is in the body (${lands === "last" ? "its last element" : "in the element left open"}), visible, and its form works`, async () => {
      const context = await chromium.browser.newContext({ javaScriptEnabled: false });
      try {
        const page = await context.newPage();
        const path = fixture(body, type);
        await page.goto(`${chromium.base}${path}`);
        const where = await page.evaluate(() => {
          const b = document.getElementById("consent-edge-banner");
          return { inBody: !!b && document.body.contains(b), last: document.body?.lastElementChild?.id, h1: document.querySelector("main h1")?.textContent };
        });
        expect(where).toMatchObject({ inBody: true, h1: "Portal" });
        if (lands === "last") expect(where.last).toBe("consent-edge-banner");
        expect(await page.isVisible(BANNER)).toBe(true);
        // The banner's own style applies (position: fixed at the bottom of the viewport).
        expect(await page.$eval(BANNER, (b) => getComputedStyle(b).position)).toBe("fixed");

        const back = page.waitForResponse((r) => r.request().method() === "GET" && r.url() === `${chromium.base}${path}`);
        await page.click(`${BANNER} button[value="refuse"]`);
        expect((await back).status()).toBe(200);
        await page.waitForLoadState("load");
        expect(await page.$(BANNER)).toBeNull();
        expect((await context.cookies()).some((c) => c.name === "cookies_preferences")).toBe(true);
      } finally {
        await context.close();
      }
    });
  }

  it("a frameset page: its frames load, and no banner is written (a frameset has no body to show it)", async () => {
    const context = await chromium.browser.newContext();
    try {
      const page = await context.newPage();
      const frame = fixture(`<!doctype html><html><body><p id="inner">frame</p></body></html>`);
      const res = await page.goto(`${chromium.base}${fixture(`<!doctype html><html><head><title>f</title></head><frameset cols="50%,50%"><frame src="${frame}"><frame src="${frame}"></frameset></html>`)}`);
      expect(res!.status()).toBe(200);
      expect(await page.evaluate(() => document.querySelectorAll("frameset frame").length)).toBe(2);
      expect(await page.$(BANNER)).toBeNull();
      // Each frame is a page of its own: it gets its own banner.
      await page.waitForFunction(() => window.frames.length === 2);
      for (const f of page.frames().slice(1)) {
        await f.waitForLoadState("load");
        expect(await f.$("#inner")).not.toBeNull();
      }
    } finally {
      await context.close();
    }
  });
});

// The banner is written after the end of the document (src/rewrite addBanner): HTML parsers put
// content after </html> into the body. Checked in real Chromium on the page shapes that matter:
// a plain page, an XHTML page (served as HTML by the rewriter), a page without </body> or
// </html>, one with a comment after </html>, and a frameset (which shows no banner at all).
// Then the same for pages that pass unparsed (MARKUP_MODE=csp-only): the banner is piped after
// the document's last byte, with its stylesheet linked from the worker's own route.
import type { BrowserContext, Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { type ChromiumStack, useChromiumStack } from "./chromium";

const BANNER = "#consent-edge-banner";

/** The demo origin's fixture route answering exactly this page (test/fixtures/origin.mjs, /__fixture/respond). */
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

/** Posts the banner's "refuse" button: the visitor is sent back to `path`, the banner gone, the cookie `stored` in the jar. */
async function refuseThroughBanner(chromium: ChromiumStack, context: BrowserContext, page: Page, path: string, stored: string): Promise<void> {
  const back = page.waitForResponse((r) => r.request().method() === "GET" && r.url() === `${chromium.base}${path}`);
  await page.click(`${BANNER} button[value="refuse"]`);
  expect((await back).status()).toBe(200);
  await page.waitForLoadState("load");
  expect(await page.$(BANNER)).toBeNull();
  expect((await context.cookies()).some((c) => c.name === stored)).toBe(true);
}

/** A frameset page: its frames load, and it shows no banner (a frameset has no body; a parser ignores what follows it). */
async function framesetKeepsItsFrames(chromium: ChromiumStack): Promise<void> {
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
}

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

        await refuseThroughBanner(chromium, context, page, path, "cookies_preferences");
      } finally {
        await context.close();
      }
    });
  }

  it("a frameset page: its frames load, and no banner is written (a frameset has no body to show it)", () => framesetKeepsItsFrames(chromium));
});

const UNPARSED_PAGES: Array<[string, string, string | undefined]> = [
  ["a plain page", `<!doctype html><html><head><title>t</title></head><body><main><h1>Portal</h1><p>caf\u00e9</p></main></body></html>`, undefined],
  ["an XHTML page", `<?xml version="1.0" encoding="UTF-8"?><html xmlns="http://www.w3.org/1999/xhtml"><head><title>t</title></head><body><main><h1>Portal</h1></main></body></html>`, "application/xhtml+xml"],
  ["a windows-1252 page", `<!doctype html><html><head><title>t</title></head><body><main><h1>Portal</h1></main></body></html>`, "text/html; charset=windows-1252"],
];

describe("the banner of pages that pass unparsed (MARKUP_MODE=csp-only), in Chromium", () => {
  const chromium = useChromiumStack({ protocol: "http", vars: { MARKUP_MODE: "csp-only" } });

  for (const [name, body, type] of UNPARSED_PAGES) {
    it(`${name}: the banner is the body's last element, styled, visible, and its form records the choice`, { timeout: 60_000 }, async () => {
      const context = await chromium.browser.newContext({ javaScriptEnabled: false });
      try {
        const page = await context.newPage();
        const path = fixture(body, type);
        const res = await page.goto(`${chromium.base}${path}`);
        // Unparsed: the page is the origin's, the banner after it (nothing rewritten, nothing inline).
        expect(res!.headers()["content-security-policy"]).toContain("default-src 'self'");
        const sent = await res!.text();
        expect(sent.indexOf("</html>")).toBeLessThan(sent.indexOf('<div id="consent-edge-banner"'));
        expect(sent).not.toContain("<style>");
        const where = await page.evaluate(() => ({ last: document.body?.lastElementChild?.id, h1: document.querySelector("main h1")?.textContent }));
        expect(where).toEqual({ last: "consent-edge-banner", h1: "Portal" });
        expect(await page.isVisible(BANNER)).toBe(true);
        // The linked stylesheet applied (position: fixed at the bottom of the viewport).
        expect(await page.$eval(BANNER, (b) => getComputedStyle(b).position)).toBe("fixed");
        // Its text read as written, whatever the page's encoding (character references).
        expect(await page.$eval(`${BANNER} button[value="refuse"]`, (b) => b.textContent)).toBe("Refuse all");

        await refuseThroughBanner(chromium, context, page, path, "consent-edge-http");
      } finally {
        await context.close();
      }
    });
  }

  it("a French banner's accented text survives a windows-1252 page", { timeout: 60_000 }, async () => {
    const context = await chromium.browser.newContext({ javaScriptEnabled: false, locale: "fr-FR" });
    try {
      const page = await context.newPage();
      await page.goto(`${chromium.base}${fixture(UNPARSED_PAGES[2][1], "text/html; charset=windows-1252")}&lang=fr`);
      const text = await page.$eval(BANNER, (b) => b.textContent ?? "");
      expect(text).toMatch(/[éèàç]/);
      expect(text).not.toContain("Ã");
    } finally {
      await context.close();
    }
  });

  it("a frameset page: its frames load (what follows the document is ignored by the parser)", { timeout: 60_000 }, () => framesetKeepsItsFrames(chromium));
});

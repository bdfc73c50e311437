// Pages that pass unparsed (MARKUP_MODE=csp-only): the banner is piped after the document's last
// byte, with its stylesheet linked from the worker's own route. Checked in real Chromium: it lands
// in the body, is styled and visible, its form records the choice, and a frameset page (where a
// parser ignores what follows the document) keeps its frames.
import { describe, expect, it } from "vitest";
import { useChromiumStack } from "./chromium";

const BANNER = "#consent-edge-banner";

function fixture(body: string, contentType = "text/html; charset=utf-8"): string {
  const spec = Buffer.from(JSON.stringify({ headers: [["Content-Type", contentType]], body })).toString("base64url");
  return `/__fixture/respond?spec=${spec}`;
}

const PAGES: Array<[string, string, string | undefined]> = [
  ["a plain page", `<!doctype html><html><head><title>t</title></head><body><main><h1>Portal</h1><p>caf\u00e9</p></main></body></html>`, undefined],
  ["an XHTML page", `<?xml version="1.0" encoding="UTF-8"?><html xmlns="http://www.w3.org/1999/xhtml"><head><title>t</title></head><body><main><h1>Portal</h1></main></body></html>`, "application/xhtml+xml"],
  ["a windows-1252 page", `<!doctype html><html><head><title>t</title></head><body><main><h1>Portal</h1></main></body></html>`, "text/html; charset=windows-1252"],
];

describe("the banner of pages that pass unparsed, in Chromium", () => {
  const chromium = useChromiumStack({ protocol: "http", vars: { MARKUP_MODE: "csp-only" } });

  for (const [name, body, type] of PAGES) {
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

        const back = page.waitForResponse((r) => r.request().method() === "GET" && r.url() === `${chromium.base}${path}`);
        await page.click(`${BANNER} button[value="refuse"]`);
        expect((await back).status()).toBe(200);
        await page.waitForLoadState("load");
        expect(await page.$(BANNER)).toBeNull();
        expect((await context.cookies()).some((c) => c.name === "consent-edge-http")).toBe(true);
      } finally {
        await context.close();
      }
    });
  }

  it("a French banner's accented text survives a windows-1252 page", { timeout: 60_000 }, async () => {
    const context = await chromium.browser.newContext({ javaScriptEnabled: false, locale: "fr-FR" });
    try {
      const page = await context.newPage();
      await page.goto(`${chromium.base}${fixture(PAGES[2][1], "text/html; charset=windows-1252")}&lang=fr`);
      const text = await page.$eval(BANNER, (b) => b.textContent ?? "");
      expect(text).toMatch(/[éèàç]/);
      expect(text).not.toContain("Ã");
    } finally {
      await context.close();
    }
  });

  it("a frameset page: its frames load (what follows the document is ignored by the parser)", { timeout: 60_000 }, async () => {
    const context = await chromium.browser.newContext();
    try {
      const page = await context.newPage();
      const frame = fixture(`<!doctype html><html><body><p id="inner">frame</p></body></html>`);
      const res = await page.goto(`${chromium.base}${fixture(`<!doctype html><html><head><title>f</title></head><frameset cols="50%,50%"><frame src="${frame}"><frame src="${frame}"></frameset></html>`)}`);
      expect(res!.status()).toBe(200);
      expect(await page.evaluate(() => document.querySelectorAll("frameset frame").length)).toBe(2);
      expect(await page.$(BANNER)).toBeNull();
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

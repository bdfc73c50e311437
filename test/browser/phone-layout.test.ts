// The banner and /cookies on a phone, in real Chromium with mobile emulation (360 px wide,
// touch, device scale factor 3, the page's meta viewport honoured): on a page a little wider
// than the screen (the demo's dataset table, and a wider one), the banner's buttons and link
// stay inside the visual viewport and can be tapped; /cookies links back to the page the
// visitor came from and to the portal's home, and its tables either fit or say they scroll.
// Screenshots go to test-results/phone/ (gitignored), kept as CI artifacts.
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BrowserContext, Page } from "playwright-core";
import { useChromiumStack } from "./chromium";

const SHOTS = fileURLToPath(new URL("../../test-results/phone/", import.meta.url));
const BANNER = "#consent-edge-banner";
const PHONE = { viewport: { width: 360, height: 640 }, isMobile: true, hasTouch: true, deviceScaleFactor: 3 } as const;

interface Box {
  name: string;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

/** Each banner control's box, in visual-viewport coordinates, and the visual viewport's size. */
async function bannerBoxes(page: Page): Promise<{ boxes: Box[]; vw: number; vh: number; scroll: number }> {
  return page.evaluate((sel) => {
    const vv = window.visualViewport!;
    const controls = [...document.querySelectorAll(`${sel} button, ${sel} a`)] as HTMLElement[];
    const boxes = controls.map((el) => {
      const r = el.getBoundingClientRect();
      // getBoundingClientRect is in layout-viewport coordinates; the visitor sees the visual one.
      return { name: el.textContent!.trim(), left: r.left - vv.offsetLeft, right: r.right - vv.offsetLeft, top: r.top - vv.offsetTop, bottom: r.bottom - vv.offsetTop };
    });
    return { boxes, vw: vv.width, vh: vv.height, scroll: document.documentElement.scrollWidth };
  }, BANNER);
}

function expectInside(boxes: Box[], vw: number, vh: number) {
  expect(boxes.length).toBeGreaterThanOrEqual(3);
  for (const b of boxes) {
    expect(b.left, b.name).toBeGreaterThanOrEqual(-0.5);
    expect(b.right, b.name).toBeLessThanOrEqual(vw + 0.5);
    expect(b.top, b.name).toBeGreaterThanOrEqual(-0.5);
    expect(b.bottom, b.name).toBeLessThanOrEqual(vh + 0.5);
    expect(b.right - b.left, b.name).toBeGreaterThan(20);
  }
}

describe("on a phone (Chromium, 360 px, mobile emulation)", () => {
  const chromium = useChromiumStack({ protocol: "http" });
  let context: BrowserContext;

  beforeAll(() => {
    mkdirSync(SHOTS, { recursive: true });
  });
  afterAll(async () => {
    await context?.close();
  });

  async function phonePage(): Promise<Page> {
    await context?.close();
    context = await chromium.browser.newContext({ ...PHONE, javaScriptEnabled: false });
    return context.newPage();
  }

  it.each([
    ["the demo's dataset table", "/explore", "explore"],
    ["a page twice the screen's width", "/__fixture/respond?spec=" + Buffer.from(JSON.stringify({ headers: [["content-type", "text/html; charset=utf-8"]], body: '<!doctype html><html><head><meta name="viewport" content="width=device-width, initial-scale=1"></head><body><div style="width:720px;height:300px;background:#eee">wide</div></body></html>' })).toString("base64url"), "wide"],
  ])("keeps the banner's buttons and link inside the screen on %s", async (_, path, shot) => {
    const page = await phonePage();
    await page.goto(`${chromium.base}${path}`);
    await page.locator(BANNER).waitFor();
    const { boxes, vw, vh, scroll } = await bannerBoxes(page);
    await page.screenshot({ path: `${SHOTS}banner-${shot}.png` });
    // The page really is wider than the screen, or the test proves nothing.
    if (shot === "wide") expect(scroll).toBeGreaterThan(360);
    expectInside(boxes, vw, vh);
    // The link's text is whole (not "Choose…" cut by the edge).
    expect(boxes.map((b) => b.name)).toEqual(expect.arrayContaining(["Accept all", "Refuse all"]));
    // Tapping "Refuse all" works: the form posts and the banner is gone.
    await page.locator(`${BANNER} button[value="refuse"]`).tap();
    await page.locator(BANNER).waitFor({ state: "detached", timeout: 20_000 });
    expect(new URL(page.url()).pathname).toBe(path.split("?")[0]);
    expect((await context.cookies()).find((c) => c.name === "cookies_preferences")).toBeDefined();
  });

  it("links /cookies back to the page the visitor came from and to the portal's home", async () => {
    const page = await phonePage();
    await page.goto(`${chromium.base}/explore`);
    await page.locator(`${BANNER} a`).tap();
    await page.waitForURL(/\/cookies/);
    expect(new URL(page.url()).searchParams.get("return")).toBe("/explore");
    const back = page.locator('a[rel="prev"]');
    expect(await back.getAttribute("href")).toBe("/explore");
    const home = page.locator('nav a[href="/"]');
    expect(await home.count()).toBe(1);
    await page.screenshot({ path: `${SHOTS}cookies-top.png` });
    await back.tap();
    await page.waitForURL(/\/explore$/);
  });

  it("refuses an off-site return path: no back link, the home link stays", async () => {
    const page = await phonePage();
    await page.goto(`${chromium.base}/cookies?return=${encodeURIComponent("//evil.example/x")}`);
    expect(await page.locator('a[rel="prev"]').count()).toBe(0);
    expect(await page.locator('nav a[href="/"]').count()).toBe(1);
    expect(await page.content()).not.toContain("evil.example");
  });

  it("keeps /cookies within the screen; wide tables scroll inside a region that says so", async () => {
    const page = await phonePage();
    await page.goto(`${chromium.base}/cookies`);
    const layout = await page.evaluate(() => {
      const regions = [...document.querySelectorAll(".table-scroll")] as HTMLElement[];
      return {
        pageWidth: document.documentElement.scrollWidth,
        regions: regions.map((r) => ({ scrolls: r.scrollWidth > r.clientWidth + 1, hint: !!r.querySelector(".scroll-hint") && getComputedStyle(r.querySelector(".scroll-hint")!).display !== "none", label: r.getAttribute("aria-label") })),
      };
    });
    expect(layout.pageWidth).toBeLessThanOrEqual(360);
    expect(layout.regions.length).toBeGreaterThan(0);
    for (const r of layout.regions) if (r.scrolls) expect(r.hint, r.label ?? "").toBe(true);
    await page.screenshot({ path: `${SHOTS}cookies-full.png`, fullPage: true });
  });
});

// Script blocking and the no-JavaScript banner in real Chromium, through wrangler dev in front
// of the demo portal: its Matomo and gtag scripts never run without consent (no request, no
// hit at the origin, no cookie written by script) and do run after "Accept all"; the banner
// works with JavaScript off, and is absent from /cookies and under Sec-GPC.
import { mkdirSync } from "node:fs";
import { stat } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { beforeEach, describe, expect, it } from "vitest";
import type { BrowserContext, BrowserContextOptions, Page, Request } from "playwright-core";
import { useChromiumStack } from "./chromium";

const BANNER = "#consent-edge-banner";
const SCREENSHOTS = fileURLToPath(new URL("./screenshots/", import.meta.url));

/** The demo origin's hit counters (counted by demo/origin.mjs, read at GET /__stats of test/fixtures/origin.mjs). */
interface Stats {
  "matomo.js": number;
  "gtag.js": number;
  "matomo.php": number;
  collect: number;
  pages: number;
}
const ANALYTICS_HITS = ["matomo.js", "gtag.js", "matomo.php", "collect"] as const;
/** Cookies only the demo's analytics scripts write (or, for _ga*, the origin with consent). */
const SCRIPT_COOKIE = /^(_ga|_gid|_pk_)/;

describe("analytics scripts and the banner in Chromium", () => {
  // Its own stack: the checks read the origin's hit counters, which other suites' visits would move.
  const chromium = useChromiumStack({ protocol: "http", own: true });
  const contexts: BrowserContext[] = [];

  beforeEach(async () => {
    while (contexts.length) await contexts.pop()!.close();
    const res = await fetch(`${chromium.stack.originUrl}/__stats/reset`, { method: "POST" });
    expect(res.status).toBe(204);
  });

  async function stats(): Promise<Stats> {
    return (await (await fetch(`${chromium.stack.originUrl}/__stats`)).json()) as Stats;
  }

  /** Polls the origin's counters until `done` holds, for at most `ms`. */
  async function statsWhen(done: (s: Stats) => boolean, ms = 10_000): Promise<Stats> {
    const deadline = Date.now() + ms;
    let s = await stats();
    while (!done(s) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      s = await stats();
    }
    return s;
  }

  async function open(options: BrowserContextOptions = {}): Promise<{ context: BrowserContext; page: Page; requests: string[] }> {
    const context = await chromium.browser.newContext(options);
    contexts.push(context);
    const page = await context.newPage();
    const requests: string[] = [];
    page.on("request", (r: Request) => requests.push(new URL(r.url()).pathname));
    return { context, page, requests };
  }

  const cookieNames = async (context: BrowserContext) => (await context.cookies()).map((c) => c.name).sort();
  const analyticsRequests = (requests: string[]) => requests.filter((p) => p.startsWith("/analytics/"));

  it("never runs the analytics scripts without consent: no request, no hit, no cookie; the tags stay inert in the DOM", async () => {
    const { context, page, requests } = await open();
    const res = await page.goto(`${chromium.base}/`, { waitUntil: "networkidle" });
    expect(res!.status()).toBe(200);
    await expect.poll(() => stats().then((s) => s.pages)).toBe(1);
    // A second view, after the origin has been asked to set _ga etc. once already.
    await page.goto(`${chromium.base}/explore`, { waitUntil: "networkidle" });
    await page.goto(`${chromium.base}/`, { waitUntil: "networkidle" });

    const s = await stats();
    expect(s.pages).toBe(3);
    for (const k of ANALYTICS_HITS) expect(s[k], k).toBe(0);
    expect(analyticsRequests(requests)).toEqual([]);
    expect(requests.filter((p) => p === "/")).toHaveLength(2);

    const names = await cookieNames(context);
    expect(names.filter((n) => SCRIPT_COOKIE.test(n))).toEqual([]);
    expect(names).toEqual(["csrftoken", "django_language"]);
    expect(await page.evaluate(() => document.cookie.split("; ").map((c) => c.split("=")[0]).sort())).toEqual(["csrftoken", "django_language"]);
    expect(await page.evaluate(() => (window as { __demoAnalytics?: unknown }).__demoAnalytics)).toBeUndefined();

    const tags = await page.$$eval("script", (els) => els.map((e) => ({ type: e.getAttribute("type"), blocked: e.getAttribute("data-consent-blocked"), text: e.textContent ?? "" })));
    expect(tags).toHaveLength(2);
    expect(tags.map((t) => [t.type, t.blocked])).toEqual([
      ["text/plain", "matomo"],
      ["text/plain", "google-analytics"],
    ]);
    expect(tags[0].text).toContain("_paq.push(['trackPageView'])");
    expect(tags[1].text).toContain("gtag('config', 'G-DEMO123')");
    expect(await page.isVisible(BANNER)).toBe(true);
  });

  it("runs them on the page view that follows Accept all in the banner", async () => {
    const { context, page, requests } = await open();
    await page.goto(`${chromium.base}/`, { waitUntil: "networkidle" });
    expect(analyticsRequests(requests)).toEqual([]);

    const back = page.waitForResponse((r) => r.request().method() === "GET" && new URL(r.url()).pathname === "/");
    await page.click(`${BANNER} button[value="accept"]`);
    const landed = await back;
    expect(landed.status()).toBe(200);
    expect((await landed.request().redirectedFrom()!.response())!.status()).toBe(303);
    await page.waitForLoadState("networkidle");

    const s = await statsWhen((x) => ANALYTICS_HITS.every((k) => x[k] >= 1));
    expect(ANALYTICS_HITS.map((k) => [k, s[k]])).toEqual(ANALYTICS_HITS.map((k) => [k, 1]));
    expect(analyticsRequests(requests).sort()).toEqual(["/analytics/collect", "/analytics/gtag.js", "/analytics/matomo.js", "/analytics/matomo.php"]);

    const ran = await page.evaluate(() => (window as { __demoAnalytics?: Record<string, boolean> }).__demoAnalytics);
    expect(ran).toEqual({ matomo: true, gtag: true });
    // _pk_* comes only from matomo.js; _ga/_ga_DEMO123 from the origin (now allowed) and from gtag.js.
    const names = await cookieNames(context);
    for (const n of ["_ga", "_ga_DEMO123", "_pk_id.1.a1b2", "_pk_ses.1.a1b2", "cookies_preferences"]) expect(names, n).toContain(n);
    expect(await page.$$("[data-consent-blocked]")).toHaveLength(0);
    expect(await page.$(BANNER)).toBeNull();
  });

  describe("with JavaScript disabled", () => {
    /** Clicks a banner button and checks the 303 back to `path`; returns the page it lands on. */
    async function choose(page: Page, action: "accept" | "refuse", path: string): Promise<void> {
      const target = new URL(path, chromium.base);
      const back = page.waitForResponse((r) => r.request().method() === "GET" && r.url() === target.href);
      await page.click(`${BANNER} button[value="${action}"]`);
      const landed = await back;
      const post = landed.request().redirectedFrom()!;
      expect(post.method()).toBe("POST");
      expect(new URL(post.url()).pathname).toBe("/cookies");
      expect(post.postData()).toContain(`action=${action}`);
      expect((await post.response())!.status()).toBe(303);
      expect(landed.status()).toBe(200);
      await page.waitForLoadState("load");
      expect(page.url()).toBe(target.href);
    }

    it("shows the banner on a first visit; Refuse all comes back to the same page, hides it, and keeps the scripts blocked", async () => {
      const { context, page } = await open({ javaScriptEnabled: false });
      await page.goto(`${chromium.base}/explore?sort=title`);
      expect(await page.isVisible(BANNER)).toBe(true);
      await choose(page, "refuse", "/explore?sort=title");
      expect(await page.$(BANNER)).toBeNull();
      const pref = (await context.cookies()).find((c) => c.name === "cookies_preferences");
      expect(decodeURIComponent(pref!.value)).toMatch(/"ga":false/);

      await page.goto(`${chromium.base}/`);
      expect(await page.$(BANNER)).toBeNull();
      expect(await page.$$eval("script", (els) => els.map((e) => e.getAttribute("type")))).toEqual(["text/plain", "text/plain"]);

      // The same jar in a browser that runs scripts: still nothing runs.
      const js = await open();
      await js.context.addCookies(await context.cookies());
      await js.page.goto(`${chromium.base}/`, { waitUntil: "networkidle" });
      expect(await js.page.$(BANNER)).toBeNull();
      expect(analyticsRequests(js.requests)).toEqual([]);
      const s = await stats();
      for (const k of ANALYTICS_HITS) expect(s[k], k).toBe(0);
      expect((await cookieNames(js.context)).filter((n) => SCRIPT_COOKIE.test(n))).toEqual([]);
    });

    it("Accept all comes back to the same page, hides the banner and restores the tags", async () => {
      const { page } = await open({ javaScriptEnabled: false });
      await page.goto(`${chromium.base}/`);
      expect(await page.$$("script[data-consent-blocked]")).toHaveLength(2);
      await choose(page, "accept", "/");
      expect(await page.$(BANNER)).toBeNull();
      const tags = await page.$$eval("script", (els) => els.map((e) => [e.getAttribute("type"), e.getAttribute("data-consent-blocked")]));
      expect(tags).toEqual([
        [null, null],
        [null, null],
      ]);
    });

    it("never shows the banner on /cookies", async () => {
      const { page } = await open({ javaScriptEnabled: false });
      const res = await page.goto(`${chromium.base}/cookies`);
      expect(res!.status()).toBe(200);
      expect(await page.locator("form").count()).toBeGreaterThan(0);
      expect(await page.$(BANNER)).toBeNull();
    });
  });

  it("never shows the banner on /cookies with JavaScript on either", async () => {
    const { page } = await open();
    await page.goto(`${chromium.base}/cookies`);
    expect(await page.$(BANNER)).toBeNull();
  });

  it("shows no banner under Sec-GPC, and the scripts stay blocked", async () => {
    const { context, page, requests } = await open({ extraHTTPHeaders: { "Sec-GPC": "1" } });
    const res = await page.goto(`${chromium.base}/`, { waitUntil: "networkidle" });
    expect(res!.status()).toBe(200);
    expect(await res!.request().headerValue("sec-gpc")).toBe("1");
    expect(await page.$(BANNER)).toBeNull();
    expect(await page.$$("script[data-consent-blocked]")).toHaveLength(2);
    expect(analyticsRequests(requests)).toEqual([]);
    expect((await cookieNames(context)).filter((n) => SCRIPT_COOKIE.test(n))).toEqual([]);
  });

  it("renders a banner whose two buttons are equally prominent (screenshot)", async () => {
    const { page } = await open({ javaScriptEnabled: false, viewport: { width: 1280, height: 800 } });
    await page.goto(`${chromium.base}/`);
    const banner = page.locator(BANNER);
    expect(await banner.isVisible()).toBe(true);
    const box = (await banner.boundingBox())!;
    // Fixed at the bottom of the viewport, full width, not taller than a third of it.
    expect(Math.round(box.y + box.height)).toBe(800);
    expect(Math.round(box.width)).toBe(1280);
    expect(box.height).toBeLessThan(800 / 3);

    const look = (value: string) =>
      page.$eval(`${BANNER} button[value="${value}"]`, (b) => {
        const s = getComputedStyle(b);
        const r = b.getBoundingClientRect();
        return { color: s.color, background: s.backgroundColor, border: s.border, font: s.font, padding: s.padding, height: r.height, inViewport: r.bottom <= innerHeight && r.top >= 0 };
      });
    const [accept, refuse] = await Promise.all([look("accept"), look("refuse")]);
    expect(refuse).toEqual(accept);
    expect(accept.inViewport).toBe(true);

    mkdirSync(SCREENSHOTS, { recursive: true });
    const file = `${SCREENSHOTS}home-banner.png`;
    await page.screenshot({ path: file });
    expect((await stat(file)).size).toBeGreaterThan(10_000);

    // A phone: the banner stays within half the screen and both buttons can be reached.
    await page.setViewportSize({ width: 360, height: 640 });
    const small = (await banner.boundingBox())!;
    expect(Math.round(small.y + small.height)).toBe(640);
    expect(small.height).toBeLessThan(320);
    const [a, r] = await Promise.all([look("accept"), look("refuse")]);
    expect(r).toEqual(a);
    expect(a.inViewport && r.inViewport).toBe(true);
    await page.screenshot({ path: `${SCREENSHOTS}home-banner-phone.png` });
  });
});

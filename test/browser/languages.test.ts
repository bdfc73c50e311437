// Every built-in language in a real Chromium, on one stack (the test origin and `wrangler dev`):
// the banner and /cookies rendered in the language, with its lang and dir (Arabic right to left,
// its layout mirrored, cookie names isolated), the banner's controls inside a 360 px phone screen,
// and axe-core (WCAG 2.2 A/AA rules) finding nothing, desktop and phone. Then the portal's own
// banner, hidden by `portalBanner.hide` while the worker's is due and never back after a choice
// (a tenant pushed to the stack's local KV), and the flows (accept, refuse, withdraw, no JavaScript)
// in German. Screenshots go to test-results/languages/ (gitignored), kept as CI artefacts.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, cpSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { BrowserContext, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUILTIN_LANGS, BUILTIN_UI } from "../../src/i18n/strings";
import { ROOT, runNode } from "../scripts/tmp-repo";
import { useChromiumStack } from "./chromium";

const SHOTS = fileURLToPath(new URL("../../test-results/languages/", import.meta.url));
const BANNER = "#consent-edge-banner";
const PHONE = { viewport: { width: 360, height: 640 }, isMobile: true, hasTouch: true, deviceScaleFactor: 1 } as const;
const DESKTOP = { viewport: { width: 1280, height: 800 } } as const;
const AXE = readFileSync(path.join(ROOT, "node_modules/axe-core/axe.min.js"), "utf8");
const AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"];

/** A plain, accessible page of the portal, so that axe judges the banner and not the demo. */
function fixture(body: string, title = "Portal"): string {
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${title}</title></head><body><main><h1>${title}</h1><p>Open data of the portal.</p>${body}</main></body></html>`;
  return `/__fixture/respond?spec=${Buffer.from(JSON.stringify({ headers: [["content-type", "text/html; charset=utf-8"]], body: html })).toString("base64url")}`;
}
const PLAIN = fixture("");

// The portal's own banner, shown by its script while it finds no cookies_preferences (as the
// Opendatasoft front office does), and the tenant whose portalBanner.hide matches it. The
// selector list also names what would hide the worker's own banner ([role="region"], body): the
// rule must never do that.
const PORTAL_HOST = "portal-banner.opendatasoft.com";
const PORTAL_PAGE = fixture(
  `<div id="portal-cookies" class="ods-cookie-banner" hidden><p>The portal's own cookie banner</p><button type="button">OK</button></div>` +
    `<script>if (!/(?:^|; )cookies_preferences=/.test(document.cookie)) document.getElementById("portal-cookies").hidden = false;</script>`,
);
const PORTAL_TENANT = {
  extends: "opendatasoft",
  id: "portal-banner",
  hosts: [PORTAL_HOST],
  siteUrl: `https://${PORTAL_HOST}`,
  portalBanner: { hide: `#portal-cookies, .ods-cookie-banner, [role="region"], body` },
};

// The stack reads its local KV from here; the tenant is pushed before it starts.
const work = mkdtempSync(path.join(tmpdir(), "consent-edge-languages-"));
const state = path.join(work, "state");
beforeAll(async () => {
  const policies = path.join(work, "policies");
  mkdirSync(policies, { recursive: true });
  cpSync(path.join(ROOT, "policies/base"), path.join(policies, "base"), { recursive: true });
  writeFileSync(path.join(policies, "portal-banner.json"), JSON.stringify(PORTAL_TENANT));
  const env = { CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false", CI: "true", NO_COLOR: "1" };
  const r = await runNode([path.join(ROOT, "scripts/policies.mjs"), "--dir", policies, "--push", "--persist-to", state], { env, timeoutMs: 120_000 });
  expect(r.code, r.stderr).toBe(0);
  mkdirSync(SHOTS, { recursive: true });
}, 150_000);
const chromium = useChromiumStack({ protocol: "http", persistTo: state });
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface AxeViolation {
  id: string;
  impact: string;
  help: string;
  nodes: Array<{ target: string[] }>;
}

/** axe-core's violations on the page (its WCAG 2.x A/AA rules), injected from node_modules: no network. */
async function axeViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ content: AXE });
  const violations = await page.evaluate(async (tags) => {
    const axe = (window as unknown as { axe: { run(ctx: Document, o: object): Promise<{ violations: AxeViolation[] }> } }).axe;
    return (await axe.run(document, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] })).violations;
  }, AXE_TAGS);
  return violations.map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

/** The banner's controls, in visual-viewport coordinates, with the visual viewport's size. */
async function controlsInside(page: Page): Promise<string[]> {
  return page.evaluate((sel) => {
    const vv = window.visualViewport!;
    const out: string[] = [];
    for (const el of document.querySelectorAll<HTMLElement>(`${sel} button, ${sel} a`)) {
      const r = el.getBoundingClientRect();
      const [l, t, rr, b] = [r.left - vv.offsetLeft, r.top - vv.offsetTop, r.right - vv.offsetLeft, r.bottom - vv.offsetTop];
      const clipped = el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflow !== "visible";
      if (l < -0.5 || t < -0.5 || rr > vv.width + 0.5 || b > vv.height + 0.5 || rr - l < 20 || clipped) out.push(`${el.textContent} at ${l},${t}-${rr},${b} in ${vv.width}x${vv.height}`);
    }
    return out;
  }, BANNER);
}

/**
 * Clicks a button of a preference form (the banner's or /cookies') and waits for its POST's 303
 * and the page it leads back to: waiting for the URL alone would return at once when the form
 * posts from the page it returns to.
 */
async function submit(page: Page, button: Locator): Promise<void> {
  const [post] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === "POST" && new URL(r.url()).pathname === "/cookies"),
    // The page already loaded: the next load event is the new page's.
    page.waitForEvent("load"),
    button.click(),
  ]);
  expect(post.status()).toBe(303);
}

async function withContext<T>(options: object, lang: string, run: (page: Page, context: BrowserContext) => Promise<T>): Promise<T> {
  // bypassCSP: /cookies allows no script, and axe-core is injected as one.
  const context = await chromium.browser.newContext({ ...options, javaScriptEnabled: true, bypassCSP: true });
  // The portal's own language cookie, as Opendatasoft's front office writes it (here with a region, odd case).
  await context.addCookies([{ name: "django_language", value: lang === "pt" ? "PT-br" : lang, url: chromium.base }]);
  try {
    return await run(await context.newPage(), context);
  } finally {
    await context.close();
  }
}

describe.concurrent.each([...BUILTIN_LANGS])("in %s", (lang) => {
  const ui = BUILTIN_UI[lang];

  it.each([
    ["desktop", DESKTOP],
    ["phone", PHONE],
  ] as const)("the banner on %s: the language, its direction, controls on screen, axe clean", async (device, options) => {
    await withContext(options, lang, async (page) => {
      await page.goto(`${chromium.base}${PLAIN}`);
      const banner = page.locator(BANNER);
      await banner.waitFor();
      expect(await banner.getAttribute("lang")).toBe(lang);
      expect(await banner.getAttribute("dir")).toBe(ui.dir);
      expect(await banner.evaluate((el) => getComputedStyle(el).direction)).toBe(ui.dir);
      expect(await banner.locator("button").allTextContents()).toEqual([ui.acceptAll, ui.refuseAll]);
      expect(await banner.locator("a").textContent()).toBe(ui.bannerMore);
      expect(await banner.locator("p").textContent()).toBe(ui.bannerText);
      // In reading order: on one line, accept comes first, on the right in a right-to-left
      // language (the layout mirrored); wrapped (long words on a phone), accept is above.
      const [accept, refuse] = await Promise.all(["accept", "refuse"].map((v) => banner.locator(`button[value="${v}"]`).boundingBox()));
      if (Math.abs(accept!.y - refuse!.y) > 2) expect(accept!.y).toBeLessThan(refuse!.y);
      else if (ui.dir === "rtl") expect(accept!.x).toBeGreaterThan(refuse!.x);
      else expect(accept!.x).toBeLessThan(refuse!.x);
      // Refusing is as prominent as accepting: same size class, same colours.
      const styles = await banner.locator("button").evaluateAll((els) => els.map((e) => `${getComputedStyle(e).backgroundColor}/${getComputedStyle(e).color}/${getComputedStyle(e).fontWeight}`));
      expect(styles[0]).toBe(styles[1]);
      expect(await controlsInside(page)).toEqual([]);
      await page.screenshot({ path: `${SHOTS}banner-${lang}-${device}.png` });
      expect(await axeViolations(page)).toEqual([]);
    });
  });

  it.each([
    ["desktop", DESKTOP],
    ["phone", PHONE],
  ] as const)("/cookies on %s: the language, its direction, isolated cookie names, axe clean", async (device, options) => {
    await withContext(options, lang, async (page) => {
      const res = await page.goto(`${chromium.base}/cookies?return=%2F`);
      expect(res!.headers()["content-language"]).toBe(lang);
      const root = await page.evaluate(() => ({ lang: document.documentElement.lang, dir: document.documentElement.dir, direction: getComputedStyle(document.body).direction }));
      expect(root).toEqual({ lang, dir: ui.dir, direction: ui.dir });
      // Every text is in the page's language: no element says otherwise.
      expect(await page.locator("body [lang]").count()).toBe(0);
      expect(await page.getByRole("button", { name: ui.acceptAll, exact: true }).count()).toBe(1);
      expect(await page.getByRole("button", { name: ui.refuseAll, exact: true }).count()).toBe(1);
      // Latin-script cookie names keep their order inside right-to-left text.
      expect(await page.locator("td bdi > code", { hasText: "_ga" }).first().textContent()).toBe("_ga");
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      expect(width).toBeLessThanOrEqual(options.viewport.width);
      await page.screenshot({ path: `${SHOTS}cookies-${lang}-${device}.png` });
      expect(await axeViolations(page)).toEqual([]);
    });
  });
});

describe("the portal's own banner (portalBanner.hide)", () => {
  const portal = () => chromium.at(PORTAL_HOST);

  async function portalBannerShown(page: Page): Promise<{ wanted: boolean; visible: boolean }> {
    return page.evaluate(() => {
      const el = document.getElementById("portal-cookies")!;
      return { wanted: !el.hidden, visible: el.checkVisibility() };
    });
  }

  it.each(["accept", "refuse"])("is hidden while the worker's banner shows, and never back after %s", async (action) => {
    const context = await chromium.browser.newContext(DESKTOP);
    try {
      const page = await context.newPage();
      await page.goto(`${portal()}${PORTAL_PAGE}`);
      const banner = page.locator(BANNER);
      await banner.waitFor();
      // The portal's script asked for its banner; the worker's rule keeps it hidden, and the
      // selectors that would match the worker's banner or its ancestor hide neither.
      expect(await portalBannerShown(page)).toEqual({ wanted: true, visible: false });
      expect(await banner.isVisible()).toBe(true);
      expect(await page.locator("main h1").isVisible()).toBe(true);
      await page.screenshot({ path: `${SHOTS}portal-banner-before-${action}.png` });
      await submit(page, banner.locator(`button[value="${action}"]`));
      expect(await banner.count()).toBe(0);
      // The worker wrote cookies_preferences: the portal's script keeps its banner closed.
      expect(await portalBannerShown(page)).toEqual({ wanted: false, visible: false });
      for (const again of [PORTAL_PAGE, PLAIN, PORTAL_PAGE]) {
        await page.goto(`${portal()}${again}`);
        if (again === PORTAL_PAGE) expect(await portalBannerShown(page)).toEqual({ wanted: false, visible: false });
        expect(await page.locator(BANNER).count()).toBe(0);
      }
    } finally {
      await context.close();
    }
  });

  it("a tenant without portalBanner leaves the portal's banner alone (two banners, as before)", async () => {
    const context = await chromium.browser.newContext(DESKTOP);
    try {
      const page = await context.newPage();
      await page.goto(`${chromium.base}${PORTAL_PAGE}`);
      await page.locator(BANNER).waitFor();
      expect(await portalBannerShown(page)).toEqual({ wanted: true, visible: true });
    } finally {
      await context.close();
    }
  });
});

describe("the flows in German", () => {
  const de = BUILTIN_UI.de;
  const granted = async (context: BrowserContext) => {
    const pref = (await context.cookies()).find((c) => c.name === "cookies_preferences");
    if (!pref) return undefined;
    const value = JSON.parse(decodeURIComponent(pref.value)) as Record<string, unknown>;
    return Object.keys(value).filter((k) => value[k] === true).sort();
  };

  it.each([true, false])("accept on the banner, refuse on /cookies, withdraw one service (JavaScript %s)", async (javaScriptEnabled) => {
    const context = await chromium.browser.newContext({ ...DESKTOP, javaScriptEnabled, locale: "de-DE" });
    // The portal's language cookie says German (the demo portal would write "en" otherwise).
    await context.addCookies([{ name: "django_language", value: "de", url: chromium.base }]);
    try {
      const page = await context.newPage();
      await page.goto(`${chromium.base}/`);
      const banner = page.locator(BANNER);
      expect(await banner.getAttribute("lang")).toBe("de");
      await submit(page, banner.getByRole("button", { name: de.acceptAll }));
      expect(await granted(context)).toEqual(["at", "ga", "matomo", "xiti"]);
      expect(await page.locator(BANNER).count()).toBe(0);

      await page.goto(`${chromium.base}/cookies?return=%2F`);
      expect(await page.locator("html").getAttribute("lang")).toBe("de");
      expect(await page.locator("#current-choices li").first().textContent()).toContain(de.allowed);
      await submit(page, page.getByRole("button", { name: de.refuseAll, exact: true }));
      expect(await granted(context)).toEqual([]);

      // Withdraw after granting two: uncheck one, save.
      await page.goto(`${chromium.base}/cookies?return=%2F`);
      await page.locator('input[name="ga"]').check();
      await page.locator('input[name="matomo"]').check();
      await submit(page, page.getByRole("button", { name: de.save }));
      expect(await granted(context)).toEqual(["ga", "matomo"]);
      await page.goto(`${chromium.base}/cookies?return=%2F`);
      await page.locator('input[name="ga"]').uncheck();
      await submit(page, page.getByRole("button", { name: de.save }));
      expect(await granted(context)).toEqual(["matomo"]);
      expect((await context.cookies()).map((c) => c.name)).not.toContain("_ga");
      await page.goto(`${chromium.base}/cookies`);
      const choices = await page.locator("#current-choices li").allTextContents();
      expect(choices.some((c) => c.includes("Google") && c.endsWith(de.refused))).toBe(true);
      expect(choices.some((c) => c.includes("Matomo") && c.endsWith(de.allowed))).toBe(true);
    } finally {
      await context.close();
    }
  });
});

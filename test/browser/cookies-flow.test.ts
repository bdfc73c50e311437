// Issue 4 in a real Chromium: the demo portal behind `wrangler dev`, reached as
// maia.opendatasoft.com. A visitor logs in holding only the necessary cookies, accepts statistics
// on /cookies and gets them, refuses all and loses them (HttpOnly included), with JavaScript on
// and off. The whole jar is read through the browser (context.cookies()), never document.cookie.
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BrowserContext, Page } from "playwright-core";
import { useChromiumStack } from "./chromium";

const SCREENSHOTS = fileURLToPath(new URL("./screenshots/", import.meta.url));
const NECESSARY = ["csrftoken", "django_language", "sessionid"];
/** What the demo's server (home page, login) and its scripts (gtag.js, matomo.js) set for statistics. */
const HOME_STATISTICS = ["_ga", "_ga_DEMO123", "_gid"];
const SCRIPT_STATISTICS = ["_pk_id.1.a1b2", "_pk_ses.1.a1b2"];
const LOGIN_STATISTICS = [...HOME_STATISTICS, ...SCRIPT_STATISTICS, "atuserid"];
const OPTIONAL_KEYS = ["at", "ga", "matomo", "xiti"];
/** What a choice leaves in the jar (over http): the portal's copy and the worker's trusted record. */
const CHOICE = ["cookies_preferences", "consent-edge-http"];

const chromium = useChromiumStack({ protocol: "http" });

beforeAll(() => {
  mkdirSync(SCREENSHOTS, { recursive: true });
});

async function jar(context: BrowserContext): Promise<string[]> {
  return (await context.cookies()).map((c) => c.name).sort();
}

function sorted(...names: string[][]): string[] {
  return names.flat().sort();
}

/** The consent keys the saved cookies_preferences grants (the Opendatasoft form: URL-encoded JSON). */
async function granted(context: BrowserContext): Promise<string[]> {
  const pref = (await context.cookies()).find((c) => c.name === "cookies_preferences");
  if (!pref) return [];
  const value = JSON.parse(decodeURIComponent(pref.value)) as Record<string, unknown>;
  return Object.keys(value).filter((k) => value[k] === true).sort();
}

async function login(page: Page): Promise<void> {
  await page.goto(`${chromium.base}/login`);
  await page.getByLabel("Username").fill("ada");
  await page.getByLabel("Password").fill("secret");
  await Promise.all([page.waitForURL(`${chromium.base}/`), page.getByRole("button", { name: "Sign in" }).click()]);
  expect(await page.getByText("Signed in as ada").count()).toBe(1);
}

/** Submits the /cookies form with one of its buttons; checks the plain POST and its 303 back to `/`. */
async function submitPreferences(page: Page, button: string): Promise<void> {
  const [post] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === "POST" && new URL(r.url()).pathname === "/cookies"),
    page.waitForURL(`${chromium.base}/`),
    page.getByRole("button", { name: button, exact: true }).click(),
  ]);
  expect(post.status()).toBe(303);
  expect(post.headers()["location"]).toBe("/");
  expect(post.request().headers()["content-type"]).toBe("application/x-www-form-urlencoded");
}

describe("the /cookies flow in Chromium, JavaScript on", () => {
  let context: BrowserContext;
  let page: Page;
  beforeAll(async () => {
    context = await chromium.browser.newContext();
    page = await context.newPage();
  });
  afterAll(async () => context?.close());

  it("first visit and login: the jar holds exactly the necessary cookies, scripts blocked", async () => {
    await page.goto(`${chromium.base}/`);
    expect(await jar(context)).toEqual(["csrftoken", "django_language"]);
    await login(page);
    expect(await jar(context)).toEqual(NECESSARY);
    expect((await context.cookies()).find((c) => c.name === "sessionid")!.httpOnly).toBe(true);
    // The analytics scripts never ran: nothing wrote window.__demoAnalytics.
    expect(await page.evaluate(() => (window as { __demoAnalytics?: unknown }).__demoAnalytics)).toBeUndefined();
  });

  it("accepting statistics service by service sets them, from the server and from the scripts", async () => {
    await page.goto(`${chromium.base}/cookies?return=%2F`);
    for (const label of await page.locator("fieldset input[name]").all()) {
      expect(await label.isChecked()).toBe(false);
      await label.check();
    }
    await submitPreferences(page, "Save my choices");
    expect(await granted(context)).toEqual(OPTIONAL_KEYS);
    // Back on /, the scripts now run and write their cookies from JavaScript.
    await page.waitForFunction(
      () => {
        const a = (window as { __demoAnalytics?: Record<string, boolean> }).__demoAnalytics;
        return a?.matomo === true && a?.gtag === true;
      },
      undefined,
      { timeout: 10_000 },
    );
    expect(await jar(context)).toEqual(sorted(NECESSARY, CHOICE, HOME_STATISTICS, SCRIPT_STATISTICS));
    await login(page);
    expect(await jar(context)).toEqual(sorted(NECESSARY, CHOICE, LOGIN_STATISTICS));
  });

  it("the page shows the saved choice", async () => {
    await page.goto(`${chromium.base}/cookies`);
    for (const box of await page.locator("fieldset input[name]").all()) expect(await box.isChecked()).toBe(true);
    expect(await page.locator("#current-choices li").count()).toBe(OPTIONAL_KEYS.length);
  });

  it("refusing all removes every statistics cookie from the jar, HttpOnly ones too", async () => {
    // The demo sets no HttpOnly statistics cookie; a fixture response adds one while consented.
    const spec = Buffer.from(
      JSON.stringify({ setCookies: ["atidvisitor=v1; Path=/; Max-Age=3600; HttpOnly"], body: "<!doctype html><title>x</title>ok" }),
    ).toString("base64url");
    await page.goto(`${chromium.base}/__fixture/respond?spec=${spec}`);
    expect((await context.cookies()).find((c) => c.name === "atidvisitor")?.httpOnly).toBe(true);

    await page.goto(`${chromium.base}/cookies?return=%2F`);
    await submitPreferences(page, "Refuse all");
    expect(await granted(context)).toEqual([]);
    // The redirect landed on /, whose origin response sets _ga, _gid… again: stripped, scripts blocked.
    expect(await jar(context)).toEqual(sorted(NECESSARY, CHOICE));
    await login(page);
    expect(await jar(context)).toEqual(sorted(NECESSARY, CHOICE));
  });

  it("keyboard focus runs back, home, accept, refuse, each switch, save, in that order", async () => {
    await page.goto(`${chromium.base}/cookies?return=%2Fexplore`);
    const order: string[] = [];
    for (let i = 0; i < 9; i++) {
      await page.keyboard.press("Tab");
      order.push(
        await page.evaluate(() => {
          const el = document.activeElement as HTMLInputElement | HTMLButtonElement | HTMLAnchorElement | null;
          if (el instanceof HTMLAnchorElement) return `a:${el.getAttribute("href")}`;
          return el ? `${el.tagName.toLowerCase()}:${(el as HTMLInputElement).name}=${(el as HTMLInputElement).value}` : "none";
        }),
      );
    }
    expect(order).toEqual([
      "a:/explore",
      "a:/",
      "button:action=accept",
      "button:action=refuse",
      "input:ga=on",
      "input:matomo=on",
      "input:xiti=on",
      "input:at=on",
      "button:action=save",
    ]);
  });

  it("renders in French with <html lang=\"fr\">, and saves screenshots", async () => {
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto(`${chromium.base}/cookies`);
    expect(await page.locator("html").getAttribute("lang")).toBe("en");
    await page.screenshot({ path: `${SCREENSHOTS}cookies-en.png`, fullPage: true });
    await page.goto(`${chromium.base}/cookies?lang=fr`);
    expect(await page.locator("html").getAttribute("lang")).toBe("fr");
    expect(await page.title()).toBe("Politique relative aux cookies");
    expect(await page.getByRole("button", { name: "Tout accepter" }).count()).toBe(1);
    expect(await page.getByRole("button", { name: "Tout refuser" }).count()).toBe(1);
    expect(await page.getByRole("heading", { level: 1 }).innerText()).toBe("Politique relative aux cookies");
    await page.screenshot({ path: `${SCREENSHOTS}cookies-fr.png`, fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${chromium.base}/cookies`);
    // No horizontal scrolling on a phone: the tables and buttons fit the viewport.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: `${SCREENSHOTS}cookies-mobile.png`, fullPage: true });
  });
});

describe("the /cookies flow in Chromium, JavaScript off", () => {
  let context: BrowserContext;
  let page: Page;
  beforeAll(async () => {
    context = await chromium.browser.newContext({ javaScriptEnabled: false });
    page = await context.newPage();
  });
  afterAll(async () => context?.close());

  it("login, accept all, refuse all: plain form posts, 303 back, the jar follows", async () => {
    await page.goto(`${chromium.base}/`);
    await login(page);
    expect(await jar(context)).toEqual(NECESSARY);

    await page.goto(`${chromium.base}/cookies?return=%2F`);
    await submitPreferences(page, "Accept all");
    expect(await granted(context)).toEqual(OPTIONAL_KEYS);
    // No script runs: only the statistics cookies the origin sets on / itself.
    expect(await jar(context)).toEqual(sorted(NECESSARY, CHOICE, HOME_STATISTICS));
    await login(page);
    expect(await jar(context)).toEqual(sorted(NECESSARY, CHOICE, LOGIN_STATISTICS));

    await page.goto(`${chromium.base}/cookies?return=%2F`);
    await submitPreferences(page, "Refuse all");
    expect(await granted(context)).toEqual([]);
    expect(await jar(context)).toEqual(sorted(NECESSARY, CHOICE));
  });

  it("saving service by service works without script", async () => {
    await page.goto(`${chromium.base}/cookies?return=%2F`);
    await page.getByLabel(/Matomo/).check();
    await submitPreferences(page, "Save my choices");
    expect(await granted(context)).toEqual(["matomo"]);
    await login(page);
    expect(await jar(context)).toEqual(sorted(NECESSARY, CHOICE, ["_pk_id.1.a1b2", "_pk_ses.1.a1b2"]));
  });
});

// Consent only this tenant can grant, and consented pages that never outlive the consent, in real
// Chromium. Two tenants (maia, the victim; inai, the sibling) behind one `wrangler dev` over https,
// and a sibling host served by the demo origin directly (any *.opendatasoft.com page). Tracker
// requests are intercepted and counted; the jar is read whole, HttpOnly included.
import { connect } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { serializeConsent } from "../../src/consent/serialize";
import { POLICIES } from "../../src/policy";
import { useChromiumStack } from "./chromium";

const MAIA = POLICIES.byId("maia")!;
const ALL_KEYS = ["ga", "matomo", "xiti", "at"];
const BANNER = "#consent-edge-banner";
/** Cookies only trackers set (the demo's gtag and Matomo, from the server or the scripts). */
const TRACKER_COOKIE = /^(_ga|_gid|_pk_|atuserid|xt)/;
/** Names the base policy declares necessary (exact names; prefixes of necessary services too). */
const NECESSARY = MAIA.services.filter((s) => s.category === "necessary").flatMap((s) => s.cookies);
const isNecessary = (name: string) => NECESSARY.some((c) => (c.prefix ? name.startsWith(c.name) : name === c.name));

interface Visitor {
  context: BrowserContext;
  page: Page;
  /** Requests for tracker scripts and beacons (the demo serves them under /analytics/). */
  trackers: string[];
}

async function visitor(browser: Browser, options: { javaScriptEnabled?: boolean } = {}): Promise<Visitor> {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, ...options });
  const trackers: string[] = [];
  context.on("request", (r) => {
    const url = new URL(r.url());
    if (url.pathname.startsWith("/analytics/")) trackers.push(`${url.host}${url.pathname}`);
  });
  return { context, page: await context.newPage(), trackers };
}

async function choose(page: Page, base: string, button: "Accept all" | "Refuse all"): Promise<void> {
  await page.goto(`${base}/cookies?return=%2Fexplore`);
  await Promise.all([page.waitForURL(`${base}/explore`), page.getByRole("button", { name: button, exact: true }).click()]);
}

/**
 * A toss page's cookies are written by `document.cookie`, which Chromium hands to its network
 * service asynchronously: until the grant (written last, after any flood) is in the jar, the
 * attack has not finished, and a victim request could overtake it.
 */
async function tossLanded(context: BrowserContext, url: string, grant: string): Promise<void> {
  await expect
    .poll(async () => (await context.cookies(url)).some((c) => c.name === "cookies_preferences" && c.domain === ".opendatasoft.com" && c.value === grant), { timeout: 10_000 })
    .toBe(true);
}

/** The jar as the victim's host sees it: no tracker cookie, no granting cookies_preferences, the rest necessary or the attacker's flood. */
async function expectOnlyNecessary(context: BrowserContext, url: string): Promise<void> {
  const jar = await context.cookies(url);
  for (const c of jar) {
    expect(TRACKER_COOKIE.test(c.name), `${c.name} in the jar`).toBe(false);
    if (c.name.startsWith("flood_")) continue; // the attacker's own filler, never forwarded (unknown)
    expect(isNecessary(c.name), `${c.name} is not necessary`).toBe(true);
    if (c.name === "cookies_preferences") expect(decodeURIComponent(c.value)).not.toMatch(/true/);
  }
}

describe("consent only this tenant can grant (Chromium, two tenants over https)", () => {
  const chromium = useChromiumStack({ protocol: "https" });
  let victim: string;
  let sibling: string;
  let siblingHost: string;
  const contexts: BrowserContext[] = [];

  beforeAll(() => {
    victim = chromium.base;
    sibling = chromium.at("inai.opendatasoft.com");
    // A sibling page that is not behind the worker at all: the demo origin itself, by another name.
    siblingHost = `http://widgets.opendatasoft.com:${new URL(chromium.stack.originUrl).port}`;
  });
  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {});
  });

  async function open(): Promise<Visitor> {
    const v = await visitor(chromium.browser);
    contexts.push(v.context);
    return v;
  }

  /** The victim's home page: banner shown, no tracker requested, no tracker script ran, the jar clean. */
  async function expectVictimUntouched(v: Visitor): Promise<void> {
    v.trackers.length = 0;
    await v.page.goto(`${victim}/`, { waitUntil: "networkidle" });
    expect(await v.page.isVisible(BANNER)).toBe(true);
    await v.page.waitForTimeout(300);
    expect(v.trackers).toEqual([]);
    expect(await v.page.evaluate(() => (window as { __demoAnalytics?: unknown }).__demoAnalytics)).toBeUndefined();
    await expectOnlyNecessary(v.context, victim);
  }

  it("tossing: a granting cookies_preferences written for the parent domain (Set-Cookie and document.cookie) grants nothing", async () => {
    const v = await open();
    const grant = serializeConsent(ALL_KEYS, MAIA, Date.now());
    // A page on the sibling tenant (its script writes the grant), then a page on a host that is not
    // behind the worker at all (Set-Cookie and script). (The sibling's own worker already deletes
    // a parent-domain cookies_preferences it receives, so the plain host's copy is the one that lands.)
    await v.page.goto(`${sibling}/__fixture/toss?value=${encodeURIComponent(grant)}&secure=1`);
    expect(await v.page.evaluate(() => (window as { __tossed?: boolean }).__tossed)).toBe(true);
    await v.page.goto(`${siblingHost}/__fixture/toss?value=${encodeURIComponent(grant)}`);
    expect(await v.page.evaluate(() => (window as { __tossed?: boolean }).__tossed)).toBe(true);
    await tossLanded(v.context, victim, grant);
    const tossed = (await v.context.cookies(victim)).filter((c) => c.name === "cookies_preferences");
    expect(tossed.map((c) => c.domain)).toContain(".opendatasoft.com"); // the attack landed
    await expectVictimUntouched(v);
    // The tossed copy is gone: the victim's response deleted it on the parent domain.
    expect((await v.context.cookies(victim)).filter((c) => c.name === "cookies_preferences")).toEqual([]);
  });

  it("replay: a valid record (and its cookies_preferences) copied from another tenant grants nothing", async () => {
    const v = await open();
    await choose(v.page, sibling, "Accept all");
    const record = (await v.context.cookies(sibling)).find((c) => c.name === "__Host-consent-edge")!;
    const pref = (await v.context.cookies(sibling)).find((c) => c.name === "cookies_preferences")!;
    expect(record.httpOnly && record.secure && record.path === "/").toBe(true);
    expect(record.domain).toBe("inai.opendatasoft.com"); // host-only
    // The record is valid where it was made: no banner on the sibling.
    await v.page.goto(`${sibling}/`, { waitUntil: "networkidle" });
    expect(await v.page.$(BANNER)).toBeNull();
    // Planted on the victim's own host (as only a script there could), it does not verify.
    await v.context.addCookies([
      { name: record.name, value: record.value, domain: "maia.opendatasoft.com", path: "/", secure: true, httpOnly: true, sameSite: "Lax" },
      { name: "cookies_preferences", value: pref.value, domain: "maia.opendatasoft.com", path: "/", secure: true, sameSite: "Lax" },
    ]);
    await expectVictimUntouched(v);
  });

  it("two Cookie fields on the wire (wrangler dev): read as one list, no tracker pair reaches the origin inside a value", async () => {
    const body = await rawRequest(chromium.stack.port, [
      "GET /__fixture/echo HTTP/1.1",
      "Host: maia.opendatasoft.com",
      "Cookie: sessionid=s",
      "Cookie: _ga=GA1.1; csrftoken=t",
    ]);
    const start = body.indexOf("{");
    const echo = JSON.parse(body.slice(start, body.lastIndexOf("}") + 1)) as { headers: [string, string][] };
    expect(echo.headers.filter(([n]) => n.toLowerCase() === "cookie").map(([, v]) => v)).toEqual(["sessionid=s; csrftoken=t"]);
  });

  it("eviction: flooding the parent domain drops the refusal, and the tossed grant still grants nothing", async () => {
    const v = await open();
    await choose(v.page, victim, "Refuse all");
    expect((await v.context.cookies(victim)).some((c) => c.name === "__Host-consent-edge")).toBe(true);
    const grant = serializeConsent(ALL_KEYS, MAIA, Date.now());
    // Secure filler from an https page of the sibling: Chromium evicts the oldest Secure cookies too.
    // The attacker floods again, with new names, while the record is still there (at most 5 rounds).
    const hasRecord = async () => (await v.context.cookies(victim)).some((c) => c.name === "__Host-consent-edge");
    for (let round = 0; round < 5 && (await hasRecord()); round++) {
      await v.page.goto(`${sibling}/__fixture/toss?value=${encodeURIComponent(grant)}&flood=400&secure=1&round=${round}`);
      expect(await v.page.evaluate(() => (window as { __tossed?: boolean }).__tossed)).toBe(true);
      await tossLanded(v.context, victim, grant);
    }
    // The attack worked on the jar: the victim's record was evicted.
    expect(await hasRecord()).toBe(false);
    await expectVictimUntouched(v);
  });
});

/** One raw HTTP/1.1 request over TLS (two Cookie fields, as a client may send them); the response body. */
function rawRequest(port: number, lines: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port, rejectUnauthorized: false, servername: "maia.opendatasoft.com" }, () => {
      socket.write(`${lines.join("\r\n")}\r\nConnection: close\r\n\r\n`);
    });
    let out = "";
    socket.on("data", (d) => (out += d));
    socket.on("end", () => resolve(out.slice(out.indexOf("\r\n\r\n") + 4)));
    socket.on("error", reject);
  });
}

describe("consented pages never outlive the consent (Chromium's cache, http)", () => {
  // Over http: Chromium does not cache responses served with certificate errors.
  const chromium = useChromiumStack({ protocol: "http" });
  const contexts: BrowserContext[] = [];

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {});
  });

  const GTAG = `<script>
  window.dataLayer = window.dataLayer || [];
  function gtag(){ dataLayer.push(arguments); }
  gtag('js', new Date());
  gtag('config', 'G-DEMO123');
  (function() { var g = document.createElement('script'); g.src = '/analytics/gtag.js?id=G-DEMO123'; document.head.appendChild(g); })();
</script>`;

  function page(name: string, headers: Array<[string, string]>): string {
    const body = `<!doctype html><html><head><title>${name}</title>${GTAG}</head><body><h1>${name}</h1><a id="next" href="/explore">next</a></body></html>`;
    const spec = Buffer.from(JSON.stringify({ headers: [["content-type", "text/html; charset=utf-8"], ...headers], body, conditional: true })).toString("base64url");
    return `/__fixture/respond?spec=${spec}`;
  }

  const CASES: Array<[string, Array<[string, string]>]> = [
    ["max-age", [["cache-control", "public, max-age=3600"]]],
    ["etag", [["cache-control", "no-cache"], ["etag", '"page-v1"']]],
    ["last-modified", [["cache-control", "no-cache"], ["last-modified", "Wed, 21 Oct 2026 07:28:00 GMT"]]],
  ];

  it.each(CASES)("%s: after a refusal, no link, back/forward or reload brings the consented page back", async (name, headers) => {
    const v = await visitor(chromium.browser);
    contexts.push(v.context);
    const path = page(name, headers);
    const ran = () => v.page.evaluate(() => (window as { __demoAnalytics?: Record<string, boolean> }).__demoAnalytics?.gtag === true);

    await choose(v.page, chromium.base, "Accept all");
    await v.page.goto(`${chromium.base}${path}`, { waitUntil: "networkidle" });
    await v.page.waitForFunction(() => (window as { __demoAnalytics?: Record<string, boolean> }).__demoAnalytics?.gtag === true);
    expect(v.trackers.length).toBeGreaterThan(0); // consented: the tracker ran

    await choose(v.page, chromium.base, "Refuse all");
    v.trackers.length = 0;
    // Back through history to the consented page (bfcache or HTTP cache would bring it back live).
    for (let i = 0; i < 4 && !v.page.url().endsWith(path); i++) await v.page.goBack({ waitUntil: "networkidle" });
    expect(v.page.url()).toBe(`${chromium.base}${path}`);
    expect(await ran()).toBe(false);
    await v.page.goForward({ waitUntil: "networkidle" });
    await v.page.goBack({ waitUntil: "networkidle" });
    expect(await ran()).toBe(false);
    // Reload.
    await v.page.reload({ waitUntil: "networkidle" });
    expect(await ran()).toBe(false);
    // A link to it, from another page.
    const linking = Buffer.from(JSON.stringify({ headers: [["content-type", "text/html"]], body: `<!doctype html><a id="to" href="${path}">to</a>` })).toString("base64url");
    await v.page.goto(`${chromium.base}/__fixture/respond?spec=${linking}`);
    await Promise.all([v.page.waitForURL(`${chromium.base}${path}`), v.page.click("#to")]);
    await v.page.waitForLoadState("networkidle");
    expect(await ran()).toBe(false);
    await v.page.waitForTimeout(300);
    expect(v.trackers).toEqual([]);
    expect((await v.context.cookies()).filter((c) => TRACKER_COOKIE.test(c.name))).toEqual([]);
  });
});

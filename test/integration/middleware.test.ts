// The enforcer as a Hono middleware in another app: cookies set by handlers are filtered,
// handlers see only consented cookies, and Hono's c.res setter cannot bring stripped lines back.
import { env } from "cloudflare:workers";
import { Hono } from "hono";
import { describe, expect, it, vi } from "vitest";
import { consentBanner, consentEdge, cookiesPage, type ConsentEdgeEnv } from "../../src/middleware";
import { BANNER_ID } from "../../src/rewrite";
import { POLICIES } from "../../src/policy";
import { ISOLATE_STRIP_TALLY } from "../../src/proxy/exchange-log";
import { FULL_CONSENT_COOKIE, recordCookie } from "../helpers";

/** The app's bindings: the library reads the consent record's key from CONSENT_SECRET. */
const ENV = { CONSENT_SECRET: env.CONSENT_SECRET };

function makeApp() {
  const records: object[] = [];
  const app = new Hono();
  app.use(consentEdge({ policy: POLICIES.byId("maia")!, log: (r) => records.push(r) }));
  app.get("/", (c) => {
    c.header("set-cookie", "_ga=1; Path=/", { append: true });
    c.header("set-cookie", "sessionid=s; HttpOnly; Path=/", { append: true });
    c.header("set-cookie", "tracker=t; Path=/", { append: true });
    return c.text(c.req.header("cookie") ?? "(none)");
  });
  return { app, records };
}

describe("consentEdge middleware", () => {
  it("strips non-consented Set-Cookie lines a handler wrote", async () => {
    const { app, records } = makeApp();
    const res = await app.request("http://maia.opendatasoft.com/", { headers: { cookie: "sessionid=s; _ga=old" } });
    expect(res.headers.getSetCookie().filter((l) => !l.includes("Max-Age=0"))).toEqual(["sessionid=s; HttpOnly; Path=/"]);
    expect(res.headers.getSetCookie().some((l) => l.startsWith("_ga=;") && l.includes("Max-Age=0"))).toBe(true);
    expect(await res.text()).toBe("sessionid=s");
    expect(records).toHaveLength(1);
  });

  it("passes consented lines byte-for-byte", async () => {
    const { app } = makeApp();
    const res = await app.request("http://maia.opendatasoft.com/", { headers: { cookie: `${FULL_CONSENT_COOKIE}` } }, ENV);
    expect(res.headers.getSetCookie()).toEqual(["_ga=1; Path=/", "sessionid=s; HttpOnly; Path=/"]);
  });

  it("is not undone by a later middleware replacing c.res (Hono copies old Set-Cookie lines)", async () => {
    const app = new Hono();
    app.use(async (c, next) => {
      await next();
      c.res = new Response(c.res.body, c.res); // a typical outer middleware
    });
    app.use(consentEdge({ policy: POLICIES.byId("maia")!, log: () => {} }));
    app.get("/", (c) => {
      c.header("set-cookie", "_ga=1; Path=/", { append: true });
      return c.text("x");
    });
    const res = await app.request("http://maia.opendatasoft.com/");
    expect(res.headers.getSetCookie()).toEqual([]);
  });

  it("trusts no consent without the CONSENT_SECRET binding (fail closed)", async () => {
    const app = new Hono();
    app.use(consentEdge({ policy: POLICIES.byId("maia")!, log: () => {} }));
    app.get("/", (c) => {
      c.header("set-cookie", "_ga=1; Path=/", { append: true });
      return c.text("x");
    });
    const res = await app.request("http://maia.opendatasoft.com/", { headers: { cookie: FULL_CONSENT_COOKIE } });
    expect(res.headers.getSetCookie()).toEqual([]);
  });

  it("without a log option, counts strips in the isolate's tally (as the worker does) and writes one line per window, not one per response", async () => {
    const app = new Hono();
    app.use(consentEdge({ policy: POLICIES.byId("maia")! }));
    app.get("/", (c) => {
      c.header("set-cookie", "_ga=1; Path=/", { append: true });
      c.header("set-cookie", "mystery=2; Path=/", { append: true });
      c.header("set-cookie", "csrftoken=t; Path=/", { append: true });
      return c.text("x");
    });
    ISOLATE_STRIP_TALLY.take(Date.now());
    const spy = vi.spyOn(console, "log");
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      const visit = () => app.request("http://maia.opendatasoft.com/", { headers: { cookie: "_gid=1; sessionid=s" } });
      for (let i = 0; i < 3; i++) expect((await visit()).headers.getSetCookie()).toContain("csrftoken=t; Path=/");
      const stripLines = () => spy.mock.calls.map((args) => String(args[0])).filter((l) => l.includes("cookies stripped"));
      expect(stripLines()).toEqual([]);
      vi.setSystemTime(Date.now() + 61_000);
      const last = await visit();
      // The stripping itself does not wait for the window.
      expect(last.headers.getSetCookie().filter((l) => !l.includes("Max-Age=0"))).toEqual(["csrftoken=t; Path=/"]);
      expect(stripLines()).toHaveLength(1);
      const line = JSON.parse(stripLines()[0]);
      expect(line).toMatchObject({ msg: "consent-edge: cookies stripped", exchanges: 3, overflow: 0 });
      expect(line.rows).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ tenant: "maia", source: "origin", name: "_ga", reason: "no-consent", count: 3 }),
          expect.objectContaining({ tenant: "maia", source: "origin", name: "mystery", reason: "unknown", count: 3 }),
          expect.objectContaining({ tenant: "maia", source: "visitor", name: "_gid", reason: "expired", count: 3 }),
        ]),
      );
      expect(line.rows).toHaveLength(3);
      // The fourth exchange opened the next window.
      expect(ISOLATE_STRIP_TALLY.take(Date.now())).toMatchObject({ exchanges: 1 });
    } finally {
      vi.useRealTimers();
      spy.mockRestore();
    }
  });

  it("hands each record to a log option as it comes (no aggregation)", async () => {
    const { app, records } = makeApp();
    ISOLATE_STRIP_TALLY.take(Date.now());
    for (let i = 0; i < 2; i++) await app.request("http://maia.opendatasoft.com/");
    expect(records).toEqual([
      expect.objectContaining({ msg: "consent-edge: cookies stripped", tenant: "maia", stripped: [expect.objectContaining({ name: "_ga" }), expect.objectContaining({ name: "tracker" })] }),
      expect.objectContaining({ msg: "consent-edge: cookies stripped", tenant: "maia" }),
    ]);
    expect(ISOLATE_STRIP_TALLY.take(Date.now())).toBeUndefined();
  });

  it("rejects missing options when created", () => {
    expect(() => consentEdge(undefined as never)).toThrow(TypeError);
  });
});

describe("cookiesPage and consentBanner: /cookies and the banner in another app, one call each", () => {
  const maia = POLICIES.byId("maia")!;
  function siteApp(withEnforcer: boolean) {
    const app = new Hono();
    if (withEnforcer) app.use(consentEdge({ policy: maia, log: () => {} }));
    app.use(consentBanner({ policy: maia }));
    app.route("/cookies", cookiesPage({ policy: maia }));
    app.get("/", (c) => c.html("<!doctype html><html><body><h1>My site</h1></body></html>"));
    app.get("/data.json", (c) => c.json({ ok: true }));
    return app;
  }

  it.each([true, false])("serves the policy page and saves a choice (consentEdge before it: %s)", async (withEnforcer) => {
    const app = siteApp(withEnforcer);
    const page = await app.request("https://maia.opendatasoft.com/cookies?lang=en");
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<form method="post" action="/cookies">');
    expect(html).toContain("Google");
    expect(html).not.toContain(BANNER_ID);
    const saved = await app.request("https://maia.opendatasoft.com/cookies", {
      method: "POST",
      body: "action=refuse&return=%2F",
      headers: { "content-type": "application/x-www-form-urlencoded", "sec-fetch-site": "same-origin" },
    }, ENV);
    expect(saved.status).toBe(303);
    expect(saved.headers.getSetCookie().some((l) => l.startsWith("cookies_preferences="))).toBe(true);
    expect(saved.headers.getSetCookie().some((l) => l.startsWith("__Host-consent-edge=v1."))).toBe(true);
  });

  it("shows the banner on HTML pages until the visitor chooses, never on JSON", async () => {
    const app = siteApp(true);
    const first = await (await app.request("https://maia.opendatasoft.com/?x=1")).text();
    expect(first).toContain(`id="${BANNER_ID}"`);
    expect(first).toContain('name="return" value="/?x=1"');
    // After the document's end, which the browser reads as the end of the body.
    expect(first.indexOf(BANNER_ID)).toBeGreaterThan(first.indexOf("</html>"));
    const chosen = await (await app.request("https://maia.opendatasoft.com/", { headers: { cookie: await recordCookie(["ga"], { https: true }) } }, ENV)).text();
    expect(chosen).not.toContain(BANNER_ID);
    const json = await app.request("https://maia.opendatasoft.com/data.json");
    expect(await json.json()).toEqual({ ok: true });
  });

  it("exposes the visitor's consent to handlers through c.var", async () => {
    const app = new Hono<ConsentEdgeEnv>();
    app.use(consentEdge({ policy: maia, log: () => {} }));
    app.get("/", (c) => c.text(`${c.var.policy.id} ${c.var.consent.explicit} ${[...c.var.consent.granted].sort().join(",")}`));
    const res = await app.request("https://maia.opendatasoft.com/", { headers: { cookie: await recordCookie(["ga", "matomo", "xiti", "at"], { https: true }) } }, ENV);
    expect(await res.text()).toBe("maia true at,ga,matomo,xiti");
  });

  it("throws when created without a policy", () => {
    expect(() => cookiesPage({} as never)).toThrow(/cookiesPage: options.policy is required/);
    expect(() => consentBanner({} as never)).toThrow(/consentBanner: options.policy is required/);
  });
});

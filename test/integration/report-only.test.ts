// "mode": "report-only": the worker decides exactly as in enforce mode and logs it, but the
// exchange is untouched: the origin gets the visitor's Cookie header as sent, every Set-Cookie
// line reaches the browser, no expiry line is added, the HTML is not rewritten (no blocking, no
// banner), and the CSP goes out as Content-Security-Policy-Report-Only. Each case runs the same
// request in enforce mode too, so the test shows there was something to change.
import { env } from "cloudflare:workers";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { consentEdge } from "../../src/middleware";
import { echoHeader, respondPath, type Echo } from "../helpers";
import { serve, tenantPolicy } from "./tenant-wiring";

const HOST = "rollout.example.test";
const rollout = tenantPolicy({ id: "rollout", hosts: [HOST], siteUrl: `https://${HOST}`, mode: "report-only", cspReportSample: 1 });
const enforced = tenantPolicy({ id: "enforced", hosts: ["enforced.example.test"], siteUrl: "https://enforced.example.test", cspReportSample: 1 });
const COOKIE = "sessionid=s1; _ga=GA1.1.2; tracker=t; _pk_id.1.ab=x";

describe("report-only mode, through the proxy", () => {
  it("forwards the Cookie header as sent and expires nothing, logging what enforce would do", async () => {
    const { res, logs } = await serve(rollout, `https://${HOST}/__fixture/echo`, { headers: { cookie: COOKIE } });
    const echo = (await res.json()) as Echo;
    expect(echoHeader(echo, "cookie")).toEqual([COOKIE]);
    expect(res.headers.getSetCookie()).toEqual([]);
    expect(logs).toEqual([expect.objectContaining({ msg: "consent-edge: report-only, would strip", mode: "report-only", tenant: "rollout", expired: ["_ga", "tracker", "_pk_id.1.ab"] })]);

    const control = await serve(enforced, "https://enforced.example.test/__fixture/echo", { headers: { cookie: COOKIE } });
    expect(echoHeader((await control.res.json()) as Echo, "cookie")).toEqual(["sessionid=s1"]);
    expect(control.res.headers.getSetCookie().some((l) => l.startsWith("_ga=;"))).toBe(true);
    expect(control.logs[0]).toMatchObject({ msg: "consent-edge: cookies stripped", expired: ["_ga", "tracker", "_pk_id.1.ab"] });
    expect(control.logs[0]).not.toHaveProperty("mode");
  });

  it("lets every Set-Cookie line through byte-for-byte, logging the ones it would strip", async () => {
    const lines = ["_ga=GA1.1.9; Path=/; Max-Age=63072000", "sessionid=s; HttpOnly; Path=/", "demo_tracker_uid=1; Path=/", "bad\u0001line"];
    const { res, logs } = await serve(rollout, `https://${HOST}${respondPath({ setCookies: lines.slice(0, 3) })}`);
    expect(res.headers.getSetCookie()).toEqual(lines.slice(0, 3));
    expect(logs[0]).toMatchObject({ mode: "report-only", stripped: [{ name: "_ga", reason: "no-consent", service: "google-analytics" }, { name: "demo_tracker_uid", reason: "unknown" }] });

    const control = await serve(enforced, `https://enforced.example.test${respondPath({ setCookies: lines.slice(0, 3) })}`);
    expect(control.res.headers.getSetCookie()).toEqual(["sessionid=s; HttpOnly; Path=/"]);
  });

  it("leaves the HTML as the origin wrote it, with the CSP as report-only", async () => {
    const { res } = await serve(rollout, `https://${HOST}/`, {}, { report: true });
    const html = await res.text();
    const origin = await (await fetch(new URL("/", env.ORIGIN!), { headers: { "x-forwarded-host": HOST, "x-forwarded-proto": "https" } })).text();
    expect(html).toBe(origin);
    expect(html).not.toContain("consent-edge-banner");
    expect(html).not.toContain("data-consent-blocked");
    expect(res.headers.get("content-security-policy")).toBeNull();
    expect(res.headers.get("content-security-policy-report-only")).toMatch(/script-src/);
    // Cookies the origin sets on its home page all pass, trackers included.
    expect(res.headers.getSetCookie().map((l) => l.split("=")[0])).toEqual(expect.arrayContaining(["_ga", "_gid"]));

    const control = await serve(enforced, "https://enforced.example.test/", {}, { report: true });
    const rewritten = await control.res.text();
    expect(rewritten).toContain("consent-edge-banner");
    expect(rewritten).toContain("data-consent-blocked");
    expect(control.res.headers.get("content-security-policy")).toMatch(/script-src/);
  });

  it("a csp of \"off\" stays off in report-only mode", async () => {
    const quiet = tenantPolicy({ id: "quiet", hosts: ["quiet.example.test"], siteUrl: "https://quiet.example.test", mode: "report-only", csp: "off", cspReportSample: 1 });
    const { res } = await serve(quiet, "https://quiet.example.test/", {}, { report: true });
    expect(res.headers.get("content-security-policy")).toBeNull();
    expect(res.headers.get("content-security-policy-report-only")).toBeNull();
    expect(await res.text()).not.toContain("data-consent-blocked");
  });
});

describe("report-only mode, in the middleware", () => {
  function app(policy: typeof rollout) {
    const records: object[] = [];
    const a = new Hono();
    a.use(consentEdge({ policy, log: (r) => records.push(r) }));
    a.get("/", (c) => {
      c.header("set-cookie", "_ga=1; Path=/", { append: true });
      c.header("set-cookie", "sessionid=s; HttpOnly; Path=/", { append: true });
      return c.text(c.req.header("cookie") ?? "(none)");
    });
    return { a, records };
  }

  it("hands the handlers every cookie and the browser every line, and logs", async () => {
    const { a, records } = app(rollout);
    const res = await a.request(`https://${HOST}/`, { headers: { cookie: COOKIE } });
    expect(await res.text()).toBe(COOKIE);
    expect(res.headers.getSetCookie()).toEqual(["_ga=1; Path=/", "sessionid=s; HttpOnly; Path=/"]);
    expect(records).toEqual([expect.objectContaining({ mode: "report-only", expired: ["_ga", "tracker", "_pk_id.1.ab"] })]);

    const control = app(enforced);
    const enforcedRes = await control.a.request("https://enforced.example.test/", { headers: { cookie: COOKIE } });
    expect(await enforcedRes.text()).toBe("sessionid=s1");
  });
});

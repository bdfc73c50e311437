// The channels the consent-derived CSP left open (issue 23), through the whole worker against the
// real origin: form submissions (form-action), the scripts that become worker global scopes,
// reporting headers naming a tracker, necessary cookies written for the whole parent domain, and
// unknown cookies a sibling wrote on the parent domain. Each also with consent granted, where the
// tracker's host is allowed again and the origin's lines pass as they came.
import { describe, expect, it } from "vitest";
import { FULL_CONSENT_COOKIE, call, recordCookie, respondPath } from "../helpers";

const JS: Array<[string, string]> = [["content-type", "text/javascript"], ["cache-control", "public, max-age=600"]];
const worker = respondPath({ headers: JS, body: `fetch("https://www.google-analytics.com/collect"); importScripts("https://www.googletagmanager.com/gtag/js");` });
const PAGE: Array<[string, string]> = [["content-type", "text/html; charset=utf-8"]];

function directive(csp: string | null, name: string): string | undefined {
  return csp?.split(";").map((d) => d.trim()).find((d) => d.startsWith(`${name} `));
}

describe("form-action", () => {
  it("a refused visitor's page allows forms to post only to its own and the necessary hosts", async () => {
    const res = await call(respondPath({ headers: PAGE, body: `<form action="https://www.google-analytics.com/collect"><button>x</button></form>` }), {
      headers: { cookie: await recordCookie([]) },
    });
    const formAction = directive(res.headers.get("content-security-policy"), "form-action");
    expect(formAction).toBeDefined();
    expect(formAction).toMatch(/^form-action 'self'/);
    expect(formAction).not.toContain("google-analytics.com");
    await res.text();
  });

  it("with consent to GA, forms may post to its hosts", async () => {
    const res = await call(respondPath({ headers: PAGE, body: "<p>x" }), { headers: { cookie: await recordCookie(["ga"]) } });
    expect(directive(res.headers.get("content-security-policy"), "form-action")).toContain("*.google-analytics.com");
    await res.text();
  });
});

describe("scripts that become worker global scopes", () => {
  for (const dest of ["worker", "sharedworker", "serviceworker"]) {
    it(`Sec-Fetch-Dest: ${dest}: the consent-derived CSP, and never stored`, async () => {
      const res = await call(worker, { https: true, headers: { "sec-fetch-dest": dest, cookie: await recordCookie([], { https: true }) } });
      const csp = res.headers.get("content-security-policy");
      expect(directive(csp, "connect-src")).toMatch(/^connect-src 'self'/);
      expect(csp).not.toContain("google-analytics.com");
      expect(res.headers.get("cache-control")).toBe("private, no-store");
      expect(await res.text()).toContain("importScripts");
    });
  }

  it("a script response without Sec-Fetch-Dest (plain http, older browsers) gets it too", async () => {
    const res = await call(worker);
    expect(directive(res.headers.get("content-security-policy"), "script-src")).toMatch(/^script-src 'self'/);
    expect(res.headers.get("cache-control")).toBe("private, no-store");
    await res.text();
  });

  it("Sec-GPC: the same policy", async () => {
    const res = await call(worker, { https: true, headers: { "sec-fetch-dest": "worker", "sec-gpc": "1" } });
    expect(res.headers.get("content-security-policy")).not.toContain("google-analytics.com");
    expect(res.headers.get("content-security-policy")).toContain("default-src 'self'");
    await res.text();
  });

  it("a classic script (Sec-Fetch-Dest: script) passes as it came, cacheable", async () => {
    const res = await call(worker, { https: true, headers: { "sec-fetch-dest": "script" } });
    expect(res.headers.get("content-security-policy")).toBeNull();
    expect(res.headers.get("cache-control")).toBe("public, max-age=600");
    await res.text();
  });

  it("with consent to GA, a worker may reach it; with full consent, no CSP, still never stored", async () => {
    const ga = await call(worker, { https: true, headers: { "sec-fetch-dest": "worker", cookie: await recordCookie(["ga"], { https: true }) } });
    expect(directive(ga.headers.get("content-security-policy"), "connect-src")).toContain("*.google-analytics.com");
    await ga.text();
    const full = await call(worker, { https: true, headers: { "sec-fetch-dest": "worker", cookie: await recordCookie(["ga", "matomo", "xiti", "at"], { https: true }) } });
    expect(full.headers.get("content-security-policy")).toBeNull();
    expect(full.headers.get("cache-control")).toBe("private, no-store");
    await full.text();
  });
});

describe("reporting headers naming a tracker", () => {
  const headers: Array<[string, string]> = [
    ["report-to", `{"group":"trk","max_age":86400,"endpoints":[{"url":"https://www.google-analytics.com/r"}]}, {"group":"own","max_age":86400,"endpoints":[{"url":"/reports"}]}`],
    ["reporting-endpoints", `trk="https://www.google-analytics.com/r", own="/reports"`],
    ["nel", `{"report_to":"trk","max_age":86400,"success_fraction":1.0}`],
    ["content-security-policy-report-only", "img-src 'none'; report-uri https://www.google-analytics.com/csp /csp-own; report-to trk"],
  ];

  for (const [what, path] of [
    ["a page", respondPath({ headers: [...PAGE, ...headers], body: "<p>x" })],
    ["a JSON response", respondPath({ headers: [["content-type", "application/json"], ...headers], body: "{}" })],
  ] as const) {
    it(`${what}, refused visitor: tracker endpoints removed, the portal's own kept`, async () => {
      const res = await call(path, { headers: { cookie: await recordCookie([]) } });
      expect(res.headers.get("report-to")).toBe(`{"group":"own","max_age":86400,"endpoints":[{"url":"/reports"}]}`);
      expect(res.headers.get("reporting-endpoints")).toBe(`own="/reports"`);
      expect(res.headers.get("nel")).toBeNull();
      expect(res.headers.get("content-security-policy-report-only")).toBe("img-src 'none'; report-uri /csp-own; report-to trk");
      await res.text();
    });

    it(`${what}, full consent: every header as the origin sent it`, async () => {
      const res = await call(path, { headers: { cookie: FULL_CONSENT_COOKIE } });
      for (const [name, value] of headers) expect(res.headers.get(name), name).toBe(value);
      await res.text();
    });
  }

  it("with consent to GA only, its endpoints stay", async () => {
    const res = await call(respondPath({ headers: [["content-type", "application/json"], ...headers], body: "{}" }), { headers: { cookie: await recordCookie(["ga"]) } });
    expect(res.headers.get("nel")).toBe(headers[2][1]);
    expect(res.headers.get("reporting-endpoints")).toBe(headers[1][1]);
    await res.text();
  });

  it("an unreadable Report-To is dropped whole", async () => {
    const res = await call(respondPath({ headers: [...PAGE, ["report-to", `{"group": "x", "endpoints": [{"url": "https://t.example/"`]], body: "<p>x" }), { headers: { "sec-gpc": "1" } });
    expect(res.headers.get("report-to")).toBeNull();
    await res.text();
  });
});

describe("cookie scope", () => {
  it("a necessary cookie the origin writes for the whole parent domain is passed host-only", async () => {
    const res = await call(respondPath({ setCookies: ["sessionid=s1; Domain=opendatasoft.com; Path=/; HttpOnly"], body: "ok" }), { headers: { cookie: FULL_CONSENT_COOKIE } });
    expect(res.headers.getSetCookie()).toEqual(["sessionid=s1; Path=/; HttpOnly"]);
    await res.text();
  });

  it("unknown cookies a sibling wrote on the parent domain are expired there too (a cookie bomb drains)", async () => {
    const junk = Array.from({ length: 8 }, (_, i) => `junk${i}=${"x".repeat(2000)}`).join("; ");
    const res = await call(respondPath({ body: "ok" }), { https: true, headers: { cookie: `${junk}; sessionid=s1` } });
    const lines = res.headers.getSetCookie();
    for (let i = 0; i < 8; i++) {
      expect(lines).toContain(`junk${i}=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/; Domain=opendatasoft.com; Secure; SameSite=Lax`);
      expect(lines).toContain(`junk${i}=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/; Secure; SameSite=Lax`);
    }
    expect(lines.some((l) => l.startsWith("sessionid="))).toBe(false);
    await res.text();
  });
});

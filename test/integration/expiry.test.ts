// Withdrawn or missing consent: the cookies a request carries without consent are expired
// in the response, with the variants the policy declares, Secure over https.
import { describe, expect, it } from "vitest";
import { parseSetCookie } from "../../src/cookies/set-cookie";
import { FULL_CONSENT_COOKIE, call, echoHeader, type Echo } from "../helpers";

function expiries(res: Response) {
  return res.headers
    .getSetCookie()
    .map((line) => ({ line, parsed: parseSetCookie(line)! }))
    .filter(({ parsed }) => parsed.attributes.maxAge === 0);
}

describe("expiring cookies without consent", () => {
  it("expires a carried statistics cookie on the host and on the parent domain (http)", async () => {
    const res = await call("/__fixture/echo", { headers: { cookie: "sessionid=s; _ga=GA1.1" } });
    const ga = expiries(res).filter((e) => e.parsed.name === "_ga");
    expect(ga.length).toBeGreaterThanOrEqual(2);
    expect(ga.map((e) => e.parsed.attributes.domain ?? "host").sort()).toEqual(["host", "opendatasoft.com"]);
    for (const { parsed } of ga) {
      expect(parsed.value).toBe("");
      expect(parsed.attributes.path).toBe("/");
      expect(parsed.attributes.secure).toBe(false);
    }
    expect(expiries(res).some((e) => e.parsed.name === "sessionid")).toBe(false);
  });

  it("makes every expiry Secure over https, so it can overwrite a Secure cookie", async () => {
    const res = await call("/__fixture/echo", { https: true, headers: { cookie: "_ga=GA1.1; _pk_id.1.ab=x; atuserid=u; demo_tracker_uid=1" } });
    const lines = expiries(res);
    expect(new Set(lines.map((e) => e.parsed.name))).toEqual(new Set(["_ga", "_pk_id.1.ab", "atuserid", "demo_tracker_uid"]));
    for (const { parsed } of lines) expect(parsed.attributes.secure).toBe(true);
  });

  it("respects the __Host- and __Secure- prefixes", async () => {
    const https = await call("/__fixture/echo", { https: true, headers: { cookie: "__Host-track=1; __Secure-track=2" } });
    const host = expiries(https).filter((e) => e.parsed.name === "__Host-track");
    expect(host).toHaveLength(1);
    expect(host[0].parsed.attributes).toMatchObject({ secure: true, path: "/" });
    expect(host[0].parsed.attributes.domain).toBeUndefined();
    expect(expiries(https).filter((e) => e.parsed.name === "__Secure-track").every((e) => e.parsed.attributes.secure)).toBe(true);

    // Over http a prefixed cookie cannot be written at all, so no line is sent for it.
    const http = await call("/__fixture/echo", { headers: { cookie: "__Host-track=1; __Secure-track=2" } });
    expect(expiries(http).filter((e) => e.parsed.name.startsWith("__"))).toEqual([]);
  });

  it("expires nothing when the cookies are consented to", async () => {
    const res = await call("/__fixture/echo", { headers: { cookie: `_ga=GA1.1; ${FULL_CONSENT_COOKIE}` } });
    expect(expiries(res)).toEqual([]);
  });

  it("expires on redirects and error responses too", async () => {
    const res = await call("/__fixture/redirect?to=/x", { headers: { cookie: "_gid=1" } });
    expect(res.status).toBe(302);
    expect(expiries(res).map((e) => e.parsed.name)).toContain("_gid");
  });

  it("expires a refused declared cookie even behind 70 unknown cookies (the cap never starves it)", async () => {
    const flood = Array.from({ length: 70 }, (_, i) => `unknown_${i}=x`).join("; ");
    const res = await call("/__fixture/echo", { https: true, headers: { cookie: `${flood}; _gid=GA1.1; sessionid=s` } });
    const gid = expiries(res).filter((e) => e.parsed.name === "_gid");
    expect(gid.map((e) => e.parsed.attributes.domain ?? "host").sort()).toEqual(["host", "opendatasoft.com"]);
    expect(res.headers.getSetCookie().length).toBeLessThanOrEqual(64);
  });

  it("reads two Cookie fields as one list: a tracker pair cannot hide in another cookie's value", async () => {
    // workerd joins repeated fields with ", " (as a raw HTTP/1.1 request to wrangler dev shows too: test/e2e).
    const headers = new Headers();
    headers.append("cookie", "sessionid=s");
    headers.append("cookie", "_ga=GA1.1; csrftoken=t");
    expect(headers.get("cookie")).toBe("sessionid=s, _ga=GA1.1; csrftoken=t");
    const res = await call("/__fixture/echo", { headers });
    const echo = (await res.json()) as Echo;
    expect(echoHeader(echo, "cookie")).toEqual(["sessionid=s; csrftoken=t"]);
    expect(expiries(res).map((e) => e.parsed.name)).toContain("_ga");

    const consented = new Headers();
    consented.append("cookie", "sessionid=s");
    consented.append("cookie", `_ga=GA1.1; ${FULL_CONSENT_COOKIE}`);
    const echoed = (await (await call("/__fixture/echo", { headers: consented })).json()) as Echo;
    expect(echoHeader(echoed, "cookie")).toEqual(["sessionid=s; _ga=GA1.1"]);
  });

  it("never writes a header from a hostile cookie name", async () => {
    const res = await call("/__fixture/echo", { headers: { cookie: "a\tb=1; x y=2; _ga=1" } });
    for (const line of res.headers.getSetCookie()) expect(line).not.toMatch(/[\r\n]/);
    expect(expiries(res).map((e) => e.parsed.name)).toContain("_ga");
  });
});

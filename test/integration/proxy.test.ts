// The worker inside workerd, in front of a real origin server: Set-Cookie decisions,
// Cookie forwarding, methods, redirects, errors, hop-by-hop headers and tenants.
import { describe, expect, it } from "vitest";
import { serializeConsent } from "../../src/consent/serialize";
import { POLICIES } from "../../src/policy";
import { ALL_KEYS, FULL_CONSENT_COOKIE, call, echoHeader, recordCookie, respondPath, setCookies, type Echo } from "../helpers";

const FUTURE = "Expires=Wed, 21 Oct 2099 07:28:00 GMT";
const NECESSARY = [
  `sessionid=abc123; ${FUTURE}; HttpOnly; Path=/; SameSite=Lax`,
  `csrftoken=tok; ${FUTURE}; Path=/; SameSite=Lax`,
  "django_language=fr; Path=/",
];
const STATISTICS = [
  `_ga=GA1.1.1.2; ${FUTURE}; Path=/; Domain=.opendatasoft.com`,
  "_ga_DEMO123=GS1.1.1; Max-Age=63072000; Path=/",
  "_gid=GA1.1.3; Max-Age=86400; Path=/",
  "_pk_id.1.a1b2=xyz.1700000000.; Max-Age=33696000; Path=/",
  "atuserid=%7B%22val%22%3A%22x%22%7D; Max-Age=33696000; Path=/",
];
const UNKNOWN = ["demo_tracker_uid=42; Path=/", "=nameless; Path=/", "SessionID=case; Path=/"];
// Interleaved, so that order preservation is visible.
const MIXED = [STATISTICS[0], NECESSARY[0], UNKNOWN[0], STATISTICS[1], NECESSARY[1], STATISTICS[2], UNKNOWN[1], STATISTICS[3], NECESSARY[2], STATISTICS[4], UNKNOWN[2]];

describe("Set-Cookie enforcement", () => {
  it("keeps only the necessary cookies without consent, byte-for-byte and in order", async () => {
    const res = await call(respondPath({ setCookies: MIXED, body: "ok" }));
    expect(res.status).toBe(200);
    expect(setCookies(res)).toEqual(NECESSARY);
    expect(await res.text()).toBe("ok");
  });

  it("keeps every declared cookie with full consent, still dropping unknown ones", async () => {
    const res = await call(respondPath({ setCookies: MIXED }), { headers: { cookie: `${FULL_CONSENT_COOKIE}` } });
    expect(setCookies(res)).toEqual(MIXED.filter((l) => !UNKNOWN.includes(l)));
  });

  it("keeps only the consented service's cookies", async () => {
    const res = await call(respondPath({ setCookies: MIXED }), { headers: { cookie: await recordCookie(["ga"]) } });
    expect(setCookies(res)).toEqual([STATISTICS[0], NECESSARY[0], STATISTICS[1], NECESSARY[1], STATISTICS[2], NECESSARY[2]]);
  });

  it("never grants from cookies_preferences, whatever its form: any sibling host can write it", async () => {
    const maia = POLICIES.byId("maia")!;
    for (const value of ["statistics", serializeConsent(ALL_KEYS, maia, Date.now()), encodeURIComponent('{"ga":true,"timestamp":1}')]) {
      const res = await call(respondPath({ setCookies: MIXED }), { headers: { cookie: `cookies_preferences=${value}` } });
      // Only the necessary lines, then the deletion of the untrusted copy (host-only and parent domain).
      expect(setCookies(res).slice(0, NECESSARY.length), value).toEqual(NECESSARY);
      expect(setCookies(res).slice(NECESSARY.length).every((l) => l.startsWith("cookies_preferences=; Max-Age=0;")), value).toBe(true);
    }
  });

  it("treats an unreadable, forged or foreign record as necessary only", async () => {
    const valid = (await recordCookie(ALL_KEYS)).split("=")[1];
    const [v, id, at, keys, mac] = valid.split(".");
    const flip = (text: string) => text.slice(0, -1) + (text.endsWith("A") ? "B" : "A");
    const bad = [
      "%7B%22ga", "true", "x".repeat(5000), "", "v1", `v2.${id}.${at}.${keys}.${mac}`,
      `${v}.${id}.${at}.${keys}.${flip(mac)}`, // forged MAC
      `${v}.${id}.${at}.ga~matomo~xiti~at~extra.${mac}`, // keys changed
      `${v}.${id}.${Number(at) + 1}.${keys}.${mac}`, // time changed
      (await recordCookie(ALL_KEYS, { tenant: "inai" })).split("=")[1], // another tenant's valid record
      (await recordCookie(ALL_KEYS, { decidedAt: Date.now() - 181 * 86_400_000 })).split("=")[1], // expired
      `${valid}; consent-edge-http=${flip(valid)}`, // two different records
    ];
    for (const value of bad) {
      const res = await call(respondPath({ setCookies: MIXED }), { headers: { cookie: `consent-edge-http=${value}` } });
      expect(setCookies(res), value).toEqual(NECESSARY);
    }
  });

  it("never reads the http fallback record over https, nor the https record over http", async () => {
    const http = await recordCookie(ALL_KEYS);
    const https = await recordCookie(ALL_KEYS, { https: true });
    expect(setCookies(await call(respondPath({ setCookies: MIXED }), { https: true, headers: { cookie: http } }))).toEqual(NECESSARY);
    expect(setCookies(await call(respondPath({ setCookies: MIXED }), { headers: { cookie: https } }))).toEqual(NECESSARY);
    expect(setCookies(await call(respondPath({ setCookies: MIXED }), { https: true, headers: { cookie: https } }))).toEqual(
      MIXED.filter((l) => !UNKNOWN.includes(l)),
    );
  });

  it("honours Sec-GPC when the visitor made no choice", async () => {
    const res = await call(respondPath({ setCookies: MIXED }), { headers: { "sec-gpc": "1" } });
    expect(setCookies(res)).toEqual(NECESSARY);
  });

  it("keeps a Set-Cookie whose Expires holds a comma as one line", async () => {
    const line = "csrftoken=a,b; Expires=Thu, 01 Jan 2099 00:00:00 GMT; Path=/";
    const res = await call(respondPath({ setCookies: [line, "_ga=1; Expires=Thu, 01 Jan 2099 00:00:00 GMT"] }));
    expect(setCookies(res)).toEqual([line]);
  });

  it("filters redirects without following them, and maps origin Locations back to the visitor's host", async () => {
    const res = await call(`/__fixture/redirect?to=/next&spec=${respondPath({ setCookies: MIXED }).split("spec=")[1]}`);
    expect(res.status).toBe(302);
    expect(setCookies(res)).toEqual(NECESSARY);
    const location = res.headers.get("location")!;
    expect(location === "/next" || location === "http://maia.opendatasoft.com/next").toBe(true);
  });

  it("filters error responses, HEAD and every method", async () => {
    const path = respondPath({ status: 500, setCookies: MIXED, body: "boom" });
    for (const method of ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]) {
      const res = await call(path, { method, body: method === "GET" || method === "OPTIONS" ? undefined : "x=1" });
      expect(res.status, method).toBe(500);
      expect(setCookies(res), method).toEqual(NECESSARY);
      await res.arrayBuffer();
    }
    const head = await call(respondPath({ setCookies: MIXED, body: "body" }), { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(setCookies(head)).toEqual(NECESSARY);
    expect(await head.text()).toBe("");
  });
});

describe("what reaches the origin", () => {
  it("forwards only necessary and consented cookies", async () => {
    const cookie = "sessionid=s1; _ga=GA1; csrftoken=t; demo_tracker_uid=9; _pk_id.1.ab=x; django_language=fr";
    const res = await call("/__fixture/echo", { headers: { cookie } });
    const echo = (await res.json()) as Echo;
    expect(echoHeader(echo, "cookie")).toEqual(["sessionid=s1; csrftoken=t; django_language=fr"]);

    const consented = await call("/__fixture/echo", { headers: { cookie: `${cookie}; ${FULL_CONSENT_COOKIE}` } });
    // The worker's record is its own: it never reaches the origin.
    expect(echoHeader((await consented.json()) as Echo, "cookie")).toEqual([
      `sessionid=s1; _ga=GA1; csrftoken=t; _pk_id.1.ab=x; django_language=fr`,
    ]);
  });

  it("gives the origin the cookies_preferences of the trusted decision: a tossed one is replaced, or dropped", async () => {
    const maia = POLICIES.byId("maia")!;
    const decidedAt = Date.now() - 1000;
    const record = await recordCookie(["ga"], { decidedAt });
    const trusted = serializeConsent(["ga"], maia, decidedAt);
    const tossed = serializeConsent(ALL_KEYS, maia, Date.now());
    const echo = async (cookie: string) => {
      const res = await call("/__fixture/echo", { headers: { cookie } });
      return { sent: echoHeader((await res.json()) as Echo, "cookie"), lines: setCookies(res) };
    };
    // No trusted choice: a granting cookies_preferences never reaches the origin, and is deleted where siblings write it.
    const none = await echo(`sessionid=s; cookies_preferences=${tossed}`);
    expect(none.sent).toEqual(["sessionid=s"]);
    expect(none.lines).toEqual([
      "cookies_preferences=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/; Domain=opendatasoft.com; SameSite=Lax",
      "cookies_preferences=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/; SameSite=Lax",
    ]);
    // A trusted choice: the origin sees its value, in place of the tossed one; the jar is repaired.
    const replaced = await echo(`sessionid=s; cookies_preferences=${tossed}; ${record}`);
    expect(replaced.sent).toEqual([`sessionid=s; cookies_preferences=${trusted}`]);
    expect(replaced.lines[0]).toMatch(/^cookies_preferences=; Max-Age=0; .*; Domain=opendatasoft.com;/);
    expect(replaced.lines[1]).toMatch(new RegExp(`^cookies_preferences=${trusted.replace(/[%.]/g, "\\$&")}; Path=/; Max-Age=`));
    // The matching value passes byte-for-byte, with nothing to repair.
    const matching = await echo(`cookies_preferences=${trusted}; sessionid=s; ${record}`);
    expect(matching.sent).toEqual([`cookies_preferences=${trusted}; sessionid=s`]);
    expect(matching.lines).toEqual([]);
  });

  it("sends no Cookie header when nothing may pass", async () => {
    const res = await call("/__fixture/echo", { headers: { cookie: "_ga=1; tracker=2" } });
    expect(echoHeader((await res.json()) as Echo, "cookie")).toEqual([]);
  });

  it("drops hop-by-hop and spoofable headers, and says which host the visitor asked for", async () => {
    const res = await call("/__fixture/echo", {
      headers: {
        connection: "keep-alive, x-secret-hop",
        "x-secret-hop": "1",
        "keep-alive": "timeout=5",
        "x-forwarded-host": "evil.example",
        forwarded: "host=evil.example",
        "x-kept": "yes",
      },
    });
    const echo = (await res.json()) as Echo;
    expect(echoHeader(echo, "x-secret-hop")).toEqual([]);
    expect(echoHeader(echo, "keep-alive")).toEqual([]);
    expect(echoHeader(echo, "forwarded")).toEqual([]);
    expect(echoHeader(echo, "x-forwarded-host")).toEqual(["maia.opendatasoft.com"]);
    expect(echoHeader(echo, "x-kept")).toEqual(["yes"]);
  });

  it("does not return the origin's hop-by-hop headers", async () => {
    const res = await call(respondPath({ headers: [["Connection", "x-private"], ["X-Private", "1"], ["Keep-Alive", "timeout=5"], ["X-Public", "2"]] }));
    expect(res.headers.get("x-private")).toBeNull();
    expect(res.headers.get("keep-alive")).toBeNull();
    expect(res.headers.get("x-public")).toBe("2");
  });

  it("streams a request body to the origin", async () => {
    const size = 8 * 1024 * 1024;
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= size) return controller.close();
        const chunk = new Uint8Array(64 * 1024);
        sent += chunk.length;
        controller.enqueue(chunk);
      },
    });
    const res = await call("/__fixture/upload", { method: "POST", body, duplex: "half" } as RequestInit);
    expect(await res.json()).toEqual({ bytes: size });
  });

  it("streams a response body from the origin", async () => {
    const size = 32 * 1024 * 1024;
    const res = await call(`/__fixture/stream?bytes=${size}`);
    const reader = res.body!.getReader();
    let total = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
    }
    expect(total).toBe(size);
  });
});

describe("tenants", () => {
  it.each([
    "header-with-theme-discovery.opendatasoft.com",
    "inai.opendatasoft.com",
    "maia.opendatasoft.com",
    "zapier-odsapps.opendatasoft.com",
    "interpolilli.opendatasoft.com",
  ])("serves %s through the demo portal", async (host) => {
    const res = await call("/", { host });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain(host);
    expect(setCookies(res).every((l) => /^(csrftoken|django_language|sessionid)=/.test(l))).toBe(true);
  });

  it("refuses unknown hosts without proxying them", async () => {
    for (const host of ["evil.example", "opendatasoft.com", "maia.opendatasoft.com.evil.example", "127.0.0.1:8787"]) {
      const res = await call("/__fixture/echo", { host });
      expect(res.status, host).toBe(421);
      expect(await res.text()).not.toContain("__fixture");
    }
  });

  it("matches hosts case-insensitively, without a trailing dot or a port", async () => {
    for (const host of ["MAIA.opendatasoft.COM", "maia.opendatasoft.com.", "maia.opendatasoft.com:8443"]) {
      const res = await call("/__fixture/echo", { host });
      expect(res.status, host).toBe(200);
      await res.arrayBuffer();
    }
  });
});

// The worker inside workerd, in front of a real origin server: Set-Cookie decisions,
// Cookie forwarding, methods, redirects, errors, hop-by-hop headers and tenants.
import { describe, expect, it } from "vitest";
import { FULL_CONSENT, call, echoHeader, respondPath, setCookies, type Echo } from "../helpers";

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
    const res = await call(respondPath({ setCookies: MIXED }), { headers: { cookie: `cookies_preferences=${FULL_CONSENT}` } });
    expect(setCookies(res)).toEqual(MIXED.filter((l) => !UNKNOWN.includes(l)));
  });

  it("keeps only the consented service's cookies", async () => {
    const onlyGa = encodeURIComponent(JSON.stringify({ ga: true, matomo: false, timestamp: 1 }));
    const res = await call(respondPath({ setCookies: MIXED }), { headers: { cookie: `cookies_preferences=${onlyGa}` } });
    expect(setCookies(res)).toEqual([STATISTICS[0], NECESSARY[0], STATISTICS[1], NECESSARY[1], STATISTICS[2], NECESSARY[2]]);
  });

  it("accepts the plain category form", async () => {
    const res = await call(respondPath({ setCookies: MIXED }), { headers: { cookie: "cookies_preferences=statistics" } });
    expect(setCookies(res)).toEqual(MIXED.filter((l) => !UNKNOWN.includes(l)));
  });

  it("treats an unreadable consent cookie as necessary only", async () => {
    for (const bad of ["%7B%22ga", "true", "{ga:true}", "x".repeat(5000)]) {
      const res = await call(respondPath({ setCookies: MIXED }), { headers: { cookie: `cookies_preferences=${bad}` } });
      expect(setCookies(res), bad).toEqual(NECESSARY);
    }
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

    const consented = await call("/__fixture/echo", { headers: { cookie: `${cookie}; cookies_preferences=${FULL_CONSENT}` } });
    expect(echoHeader((await consented.json()) as Echo, "cookie")).toEqual([
      `sessionid=s1; _ga=GA1; csrftoken=t; _pk_id.1.ab=x; django_language=fr; cookies_preferences=${FULL_CONSENT}`,
    ]);
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

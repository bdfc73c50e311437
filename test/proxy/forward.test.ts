// forwardToOrigin against the real origin server: a response is rebuilt only when something in
// it changes, and the headers of the request it sends are the visitor's minus what must not pass.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { NECESSARY_ONLY } from "../../src/consent/types";
import { POLICIES } from "../../src/policy";
import { forwardToOrigin, type ForwardOptions } from "../../src/proxy/forward";
import { editResponseHeaders, forwardRequestHeaders, needsHopByHopEdit } from "../../src/proxy/headers";
import { MAIA, respondPath, type Echo, echoHeader } from "../helpers";

const policy = POLICIES.byHost(MAIA)!;
const ctx = { policy, consent: NECESSARY_ONLY, secure: true, host: MAIA };
const options: ForwardOptions = { origin: new URL(env.ORIGIN!).origin, timeoutMs: 5000 };
const visit = (path: string, init?: RequestInit) => new Request(`https://${MAIA}${path}`, init);

/** A fetched Response's headers are immutable; one the worker built itself has mutable ones. */
function isOriginsOwn(res: Response): boolean {
  let own: boolean;
  try {
    res.headers.set("x-probe", "1");
    own = false;
  } catch (e) {
    own = e instanceof TypeError;
  }
  return own;
}

describe("forwardToOrigin builds a response only when something changed", () => {
  it("returns the origin's response itself when every Set-Cookie passes and no header must go", async () => {
    const res = await forwardToOrigin(visit(respondPath({ setCookies: ["csrftoken=t; Path=/"], headers: [["X-Public", "1"]], body: "same" })), ctx, options);
    expect(isOriginsOwn(res)).toBe(true);
    expect(res.headers.getSetCookie()).toEqual(["csrftoken=t; Path=/"]);
    expect(await res.text()).toBe("same");
  });

  it("builds a new response when a Set-Cookie is stripped, with the body intact", async () => {
    const res = await forwardToOrigin(visit(respondPath({ setCookies: ["_ga=1; Path=/", "csrftoken=t; Path=/"], body: "body" })), ctx, options);
    expect(isOriginsOwn(res)).toBe(false);
    expect(res.headers.getSetCookie()).toEqual(["csrftoken=t; Path=/"]);
    expect(await res.text()).toBe("body");
  });

  it("builds a new response when the request carried a refused cookie (its expiry is added)", async () => {
    const res = await forwardToOrigin(visit(respondPath({ body: "x" }), { headers: { cookie: "_gid=1" } }), ctx, options);
    expect(isOriginsOwn(res)).toBe(false);
    expect(res.headers.getSetCookie(), JSON.stringify(res.headers.getSetCookie())).toContainEqual(expect.stringMatching(/^_gid=;/));
    await res.arrayBuffer();
  });

  it("builds a new response when the origin sends a hop-by-hop header the runtime would pass on, and drops it", async () => {
    for (const headers of [[["Connection", "x-private"], ["X-Private", "1"]], [["Proxy-Authenticate", "Basic"]]] as Array<Array<[string, string]>>) {
      const res = await forwardToOrigin(visit(respondPath({ headers: [...headers, ["X-Public", "2"]], body: "x" })), ctx, options);
      expect(isOriginsOwn(res)).toBe(false);
      for (const [name] of headers) expect(res.headers.get(name), name).toBeNull();
      expect(res.headers.get("keep-alive")).toBeNull();
      expect(res.headers.get("x-public")).toBe("2");
      await res.arrayBuffer();
    }
  });

  it("decides on hop-by-hop headers without iterating them: Connection: keep-alive alone needs no edit", () => {
    expect(needsHopByHopEdit(new Headers({ connection: "keep-alive", "keep-alive": "timeout=5", "transfer-encoding": "chunked" }))).toBe(false);
    expect(needsHopByHopEdit(new Headers({ connection: "close" }))).toBe(false);
    expect(needsHopByHopEdit(new Headers({ connection: "keep-alive, X-Secret" }))).toBe(true);
    expect(needsHopByHopEdit(new Headers({ "proxy-authenticate": "Basic" }))).toBe(true);
    expect(needsHopByHopEdit(new Headers({ "proxy-connection": "keep-alive" }))).toBe(true);
    // Other spellings take the slow path, with the same answers.
    expect(needsHopByHopEdit(new Headers({ connection: "Keep-Alive, Upgrade" }))).toBe(false);
    expect(needsHopByHopEdit(new Headers({ connection: " close " }))).toBe(false);
    expect(needsHopByHopEdit(new Headers({ connection: "Close, X-Secret" }))).toBe(true);
  });

  it("edits hop-by-hop headers whether or not the Connection header lists them again", () => {
    const out = new Headers({ connection: "keep-alive, X-Private, te", "keep-alive": "timeout=5", te: "trailers", "x-private": "1", "x-public": "2", "set-cookie": "a=1" });
    editResponseHeaders(out, ["b=2"]);
    expect([...out.keys()].sort()).toEqual(["set-cookie", "x-public"]);
    expect(out.getSetCookie()).toEqual(["b=2"]);
    const sent = forwardRequestHeaders(new Headers({ connection: "keep-alive, x-gone, upgrade", "keep-alive": "1", upgrade: "h2c", "x-gone": "1", "x-kept": "1" }), { cookie: null, host: MAIA, secure: false });
    expect([...sent.keys()].sort()).toEqual(["x-forwarded-host", "x-forwarded-proto", "x-kept"]);
  });

  it("builds a new response when the body idle bound wraps the body", async () => {
    const res = await forwardToOrigin(visit(respondPath({ body: "x" })), ctx, { ...options, bodyIdleTimeoutMs: 1000 });
    expect(isOriginsOwn(res)).toBe(false);
    expect(await res.text()).toBe("x");
  });
});

describe("forwardToOrigin with documentsAsTheyCome: the one copy of a page passed on as it came is not reusable", () => {
  const cacheable: Array<[string, string]> = [
    ["cache-control", "public, max-age=60"],
    ["etag", '"v1"'],
    ["last-modified", "Wed, 21 Oct 2026 07:28:00 GMT"],
  ];
  const asTheyCome = { ...options, documentsAsTheyCome: true };

  it("returns an unchanged HTML page as its own copy, private and no-store, without validators, body and other headers intact", async () => {
    const res = await forwardToOrigin(visit(respondPath({ headers: [["content-type", "text/html"], ["X-Public", "1"], ...cacheable], setCookies: ["csrftoken=t; Path=/"], body: "<p>page</p>" })), ctx, asTheyCome);
    expect(isOriginsOwn(res)).toBe(false);
    expect(res.headers.get("cache-control")).toBe("private, no-store");
    expect(res.headers.get("etag")).toBeNull();
    expect(res.headers.get("last-modified")).toBeNull();
    expect(res.headers.get("x-public")).toBe("1");
    expect(res.headers.getSetCookie()).toEqual(["csrftoken=t; Path=/"]);
    expect(await res.text()).toBe("<p>page</p>");
  });

  it("does the same for a document without a Content-Type (the browser sniffs it) and for the answer to a HEAD", async () => {
    const sniffed = await forwardToOrigin(visit(respondPath({ headers: cacheable, body: "x" })), ctx, asTheyCome);
    expect(sniffed.headers.get("cache-control")).toBe("private, no-store");
    await sniffed.arrayBuffer();
    const head = await forwardToOrigin(visit(respondPath({ headers: [["content-type", "text/html"], ...cacheable], body: "x" }), { method: "HEAD" }), ctx, asTheyCome);
    expect(head.body).toBeNull();
    expect(head.headers.get("cache-control")).toBe("private, no-store");
    expect(head.headers.get("etag")).toBeNull();
  });

  it("leaves what is not a consent-dependent document as it came: JSON, a 304, a page already no-store", async () => {
    const json = await forwardToOrigin(visit(respondPath({ headers: [["content-type", "application/json"], ...cacheable], body: "{}" })), ctx, asTheyCome);
    expect(isOriginsOwn(json)).toBe(true);
    expect(json.headers.get("etag")).toBe('"v1"');
    await json.arrayBuffer();
    const noStore = await forwardToOrigin(visit(respondPath({ headers: [["content-type", "text/html"], ["cache-control", "no-store"], ["etag", '"v2"']], body: "x" })), ctx, asTheyCome);
    expect(isOriginsOwn(noStore)).toBe(true);
    await noStore.arrayBuffer();
    const notModified = await forwardToOrigin(visit(respondPath({ status: 304, headers: [["content-type", "text/html"], ...cacheable] })), ctx, asTheyCome);
    expect(notModified.status).toBe(304);
    expect(isOriginsOwn(notModified)).toBe(true);
  });

  it("is not a page's own when the tenant is in report-only mode (nothing applied), nor without the option", async () => {
    const page = respondPath({ headers: [["content-type", "text/html"], ...cacheable], body: "x" });
    const plain = await forwardToOrigin(visit(page), ctx, options);
    expect(isOriginsOwn(plain)).toBe(true);
    await plain.arrayBuffer();
    const reportOnly = { ...ctx, policy: { ...policy, mode: "report-only" as const } };
    const rolled = await forwardToOrigin(visit(page), reportOnly, asTheyCome);
    expect(isOriginsOwn(rolled)).toBe(true);
    expect(rolled.headers.get("etag")).toBe('"v1"');
    await rolled.arrayBuffer();
  });
});

describe("forwardToOrigin's bound on the origin's response headers", () => {
  it("answers 504 when the headers do not come within the bound", async () => {
    const res = await forwardToOrigin(visit("/__fixture/hang-headers"), ctx, { ...options, timeoutMs: 300 });
    expect(res.status).toBe(504);
    expect(await res.text()).toContain("504");
  });

  it("does not cut a body JavaScript reads after the bound has passed (the bound is never the fetch's signal)", async () => {
    const res = await forwardToOrigin(visit("/__fixture/stream?bytes=1000000&chunk=1000"), ctx, { ...options, timeoutMs: 200 });
    await scheduler.wait(500);
    expect((await res.arrayBuffer()).byteLength).toBe(1_000_000);
  });

  it("is the runtime's own timer (wrangler.toml's no_nodejs_global_timers), not a JavaScript Timeout object", () => {
    const id = setTimeout(() => {}, 1000);
    clearTimeout(id);
    expect(typeof id).toBe("number");
  });

  it("releases its timer once the headers came, and on a failed fetch", async () => {
    const set = globalThis.setTimeout;
    const clear = globalThis.clearTimeout;
    const armed = new Set<unknown>();
    let bounds = 0;
    globalThis.setTimeout = ((fn: () => void, ms?: number) => {
      const id = set(fn, ms);
      if (ms === options.timeoutMs) armed.add(id), bounds++;
      return id;
    }) as typeof setTimeout;
    globalThis.clearTimeout = ((id: number | null) => {
      armed.delete(id);
      clear(id);
    }) as typeof clearTimeout;
    try {
      const ok = await forwardToOrigin(visit("/__fixture/echo"), ctx, options);
      expect(ok.status).toBe(200);
      const failed = await forwardToOrigin(visit("/"), ctx, { ...options, origin: "http://127.0.0.1:1" });
      expect(failed.status).toBe(502);
      await ok.arrayBuffer();
    } finally {
      globalThis.setTimeout = set;
      globalThis.clearTimeout = clear;
    }
    expect(bounds).toBe(2);
    expect(armed.size).toBe(0);
  });
});

describe("forwardToOrigin request headers", () => {
  it("never lets a Connection token remove the headers the proxy sets, and sends the filtered Cookie", async () => {
    const res = await forwardToOrigin(
      visit("/__fixture/echo", { headers: { connection: "x-forwarded-host, x-forwarded-proto, cookie, x-gone", "x-gone": "1", cookie: "csrftoken=t; _ga=1", "x-forwarded-for": "6.6.6.6", te: "trailers" } }),
      ctx,
      options,
    );
    const echo = (await res.json()) as Echo;
    expect(echoHeader(echo, "x-forwarded-host")).toEqual([MAIA]);
    expect(echoHeader(echo, "x-forwarded-proto")).toEqual(["https"]);
    expect(echoHeader(echo, "cookie")).toEqual(["csrftoken=t"]);
    expect(echoHeader(echo, "x-gone")).toEqual([]);
    expect(echoHeader(echo, "x-forwarded-for")).toEqual([]);
    expect(echoHeader(echo, "te")).toEqual([]);
  });
});

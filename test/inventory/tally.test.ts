// The in-memory tally: counts, bounds, and when a flush is due (no write per request).
import { describe, expect, it } from "vitest";
import { CookieTally, OVERFLOW_NAME } from "../../src/inventory/tally";
import { serviceOf } from "../../src/inventory/classify";
import { POLICIES } from "../../src/policy";

describe("CookieTally", () => {
  it("flushes at once for a new name, then only every flushEveryMs however many requests", () => {
    const t = new CookieTally({ flushEveryMs: 60_000, minGapMs: 5_000 });
    t.seeRequestCookies("a", [{ name: "sessionid" }], 0);
    t.seeSetCookies("a", ["sessionid=1; Path=/"], 0);
    expect(t.due(0)).toBe(true);
    expect(t.drain(0)).toEqual([
      { tenant: "a", source: "visitor", name: "sessionid", count: 1, firstSeen: 0, lastSeen: 0 },
      { tenant: "a", source: "origin", name: "sessionid", count: 1, firstSeen: 0, lastSeen: 0 },
    ]);
    let flushes = 0;
    for (let now = 1; now <= 59_999; now += 3) {
      t.seeRequestCookies("a", [{ name: "sessionid" }, { name: "sessionid" }], now);
      t.seeSetCookies("a", ["sessionid=1; Path=/"], now);
      if (t.due(now)) {
        flushes++;
        t.drain(now);
      }
    }
    expect(flushes).toBe(0);
    expect(t.due(60_000)).toBe(true);
    const [entry] = t.drain(60_000).filter((e) => e.source === "visitor");
    expect(entry.count).toBe(2 * 20_000);
    expect([entry.firstSeen, entry.lastSeen]).toEqual([1, 59_998]);
  });

  it("a new name brings the flush forward, but not closer than minGapMs to the last", () => {
    const t = new CookieTally({ flushEveryMs: 60_000, minGapMs: 5_000 });
    t.seeRequestCookies("a", [{ name: "x" }], 0);
    t.drain(0);
    t.seeRequestCookies("a", [{ name: "y" }], 1_000);
    expect(t.due(1_000)).toBe(false);
    expect(t.due(5_000)).toBe(true);
    t.drain(5_000);
    t.seeRequestCookies("a", [{ name: "y" }], 6_000);
    expect(t.due(11_000)).toBe(false);
  });

  it("keeps sources and tenants apart, and reads Set-Cookie names as RFC 6265bis does", () => {
    const t = new CookieTally();
    t.seeSetCookies("a", ["n=1", " spaced =2; Path=/", "novalue", "=anon", "; x=1", "k=v=w"], 1);
    t.seeRequestCookies("b", [{ name: "n" }, { name: "" }], 1);
    t.seeBlockedHost("a", "WWW.Google-Analytics.com", 1);
    const rows = t.drain(1).map((e) => `${e.tenant}/${e.source}/${e.name}=${e.count}`);
    expect(rows.sort()).toEqual(["a/csp/www.google-analytics.com=1", "a/origin/k=1", "a/origin/n=1", "a/origin/spaced=1", "b/visitor/n=1"]);
  });

  it("counts names past the bounds (too many, too long) under one overflow name", () => {
    const t = new CookieTally({ maxNames: 3, maxNameLength: 10 });
    t.seeRequestCookies("a", [{ name: "a1" }, { name: "a2" }, { name: "x".repeat(11) }, { name: "a3" }, { name: "a4" }, { name: "a1" }], 0);
    const rows = Object.fromEntries(t.drain(0).map((e) => [e.name, e.count]));
    expect(rows).toEqual({ a1: 2, a2: 1, [OVERFLOW_NAME]: 3 });
  });

  it("drains nothing and is not due when nothing was seen", () => {
    const t = new CookieTally();
    expect(t.due(1e12)).toBe(false);
    expect(t.drain(1e12)).toEqual([]);
  });
});

describe("serviceOf", () => {
  const maia = POLICIES.byId("maia")!;
  it("classifies cookies by the policy and blocked hosts by block.hosts, subdomains included", () => {
    expect(serviceOf(maia, { source: "origin", name: "_ga_ABC" })).toBe("google-analytics");
    expect(serviceOf(maia, { source: "visitor", name: "nope" })).toBeNull();
    expect(serviceOf(maia, { source: "csp", name: "www.googletagmanager.com" })).toBe("google-analytics");
    expect(serviceOf(maia, { source: "csp", name: "evilgoogletagmanager.com" })).toBeNull();
    expect(serviceOf(maia, { source: "origin", name: OVERFLOW_NAME })).toBeNull();
    expect(serviceOf(undefined, { source: "origin", name: "_ga" })).toBeNull();
  });
});

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

/**
 * The worker's flush loop over a simulated clock: each request counts one name and then flushes
 * when due, or arms a delayed flush (idleFlushDelay); delayed flushes fire in time order and
 * follow idleFlushStep, as src/inventory/index.ts does. Returns the flush times.
 */
function simulate(t: CookieTally, requests: readonly number[], name: (i: number) => string, until: number): number[] {
  const flushes: number[] = [];
  let timers: number[] = [];
  const fireUntil = (time: number) => {
    for (;;) {
      timers.sort((a, b) => a - b);
      if (timers.length === 0 || timers[0] > time) return;
      const at = timers.shift()!;
      const step = t.idleFlushStep(at);
      if (step && "flush" in step) {
        t.drain(at);
        flushes.push(at);
      } else if (step) timers.push(at + step.waitMs);
    }
  };
  requests.forEach((now, i) => {
    fireUntil(now);
    t.seeRequestCookies("a", [{ name: name(i) }], now);
    if (t.due(now)) {
      t.drain(now);
      flushes.push(now);
    } else {
      const delay = t.idleFlushDelay(now);
      if (delay !== undefined) timers.push(now + delay);
    }
  });
  fireUntil(until);
  timers = [];
  return flushes;
}

describe("CookieTally's delayed flush", () => {
  const options = { flushEveryMs: 60_000, minGapMs: 5_000, quietMs: 2_000 };

  it("writes a sighting within quietMs + minGapMs when no request follows", () => {
    const t = new CookieTally(options);
    // The isolate's first request flushes at once; a second, 1 s later, with a new name, is not due.
    expect(simulate(t, [0, 1_000], (i) => `n${i}`, 100_000)).toEqual([0, 5_000]);
    const t2 = new CookieTally(options);
    expect(simulate(t2, [0, 10_000], () => "same", 100_000)).toEqual([0, 12_000]);
    expect(t2.idleFlushStep(200_000)).toBeNull();
  });

  it("adds no write in the steady state: one flush per flushEveryMs under continuous traffic, then one when it stops", () => {
    const t = new CookieTally(options);
    const requests = Array.from({ length: 12_000 }, (_, i) => i * 10); // every 10 ms for 120 s
    const flushes = simulate(t, requests, () => "sessionid", 200_000);
    // 0 and 60 000 by flushEveryMs; the last by the delayed flush that fired first after the
    // traffic stopped at 119 990 (armed at 118 180; by then the minute was up).
    expect(flushes).toEqual([0, 60_000, 120_180]);
    expect(t.drain(300_000)).toEqual([]);
  });

  it("never flushes more often than minGapMs, however the traffic comes and goes", () => {
    const t = new CookieTally(options);
    // Bursts of 5 requests 1.1 s apart (lulls just over quietMs / 2), 300 bursts, a new name in each.
    const requests = Array.from({ length: 1_500 }, (_, i) => Math.floor(i / 5) * 1_100 + (i % 5));
    const flushes = simulate(t, requests, (i) => `n${Math.floor(i / 5)}`, 1_000_000);
    for (let i = 1; i < flushes.length; i++) expect(flushes[i] - flushes[i - 1]).toBeGreaterThanOrEqual(5_000);
    // Everything counted was written, the last burst within quietMs + minGapMs.
    expect(t.drain(2_000_000)).toEqual([]);
    expect(flushes.at(-1)! - requests.at(-1)!).toBeLessThanOrEqual(7_000);
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

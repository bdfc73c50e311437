// The per-isolate strip tally: counts instead of one log line per response, bounded, one line per window.
import { describe, expect, it } from "vitest";
import type { StripLog } from "../../src/proxy/enforce";
import { StripTally } from "../../src/proxy/exchange-log";

const record = (over: Partial<StripLog> = {}): StripLog => ({
  msg: "consent-edge: cookies stripped",
  tenant: "maia",
  method: "GET",
  path: "/",
  status: 200,
  stripped: [
    { name: "_ga", reason: "no-consent", service: "google-analytics" },
    { name: "mystery", reason: "unknown" },
  ],
  expired: ["_gid"],
  ...over,
});

describe("StripTally", () => {
  it("counts names per tenant and side, and writes nothing until the window is over", () => {
    const t = new StripTally({ windowMs: 60_000 });
    expect(t.add(record(), 1000)).toBeUndefined();
    expect(t.add(record(), 2000)).toBeUndefined();
    expect(t.add(record({ tenant: "inai", expired: [] }), 3000)).toBeUndefined();
    const line = t.take(4000)!;
    expect(line).toMatchObject({ msg: "consent-edge: cookies stripped", from: 1000, to: 4000, exchanges: 3, overflow: 0 });
    expect(line.rows).toEqual(
      expect.arrayContaining([
        { tenant: "maia", source: "origin", name: "_ga", service: "google-analytics", reason: "no-consent", firstSeen: 1000, lastSeen: 2000, count: 2 },
        { tenant: "maia", source: "origin", name: "mystery", service: null, reason: "unknown", firstSeen: 1000, lastSeen: 2000, count: 2 },
        { tenant: "maia", source: "visitor", name: "_gid", service: null, reason: "expired", firstSeen: 1000, lastSeen: 2000, count: 2 },
        { tenant: "inai", source: "origin", name: "_ga", service: "google-analytics", reason: "no-consent", firstSeen: 3000, lastSeen: 3000, count: 1 },
      ]),
    );
    expect(line.rows).toHaveLength(5);
    expect(t.take(5000)).toBeUndefined();
  });

  it("returns the finished window from the first exchange after it, and starts the next with that exchange", () => {
    const t = new StripTally({ windowMs: 60_000 });
    t.add(record(), 0);
    expect(t.add(record(), 59_999)).toBeUndefined();
    const line = t.add(record(), 60_000)!;
    expect(line.exchanges).toBe(2);
    expect(line.to).toBe(60_000);
    const next = t.take(70_000)!;
    expect(next).toMatchObject({ from: 60_000, exchanges: 1 });
  });

  it("holds at most maxRows distinct names; the rest is only counted (origins and visitors can invent names)", () => {
    const t = new StripTally({ maxRows: 10 });
    for (let i = 0; i < 1000; i++) t.add(record({ stripped: [{ name: `x${i}`, reason: "unknown" }], expired: [] }), i);
    const line = t.take(1000)!;
    expect(line.rows).toHaveLength(10);
    expect(line.overflow).toBe(990);
    expect(line.exchanges).toBe(1000);
  });

  it("keeps report-only counts apart, marked, in the same window", () => {
    const t = new StripTally();
    t.add(record({ expired: [] }), 0);
    t.add(record({ msg: "consent-edge: report-only, would strip", mode: "report-only", expired: [] }), 1);
    const rows = t.take(2)!.rows.filter((r) => r.name === "_ga");
    expect(rows).toHaveLength(2);
    expect(rows.map((r) => r.mode ?? "enforce").sort()).toEqual(["enforce", "report-only"]);
  });

  it("refuses a window or bound that is not positive", () => {
    expect(() => new StripTally({ windowMs: 0 })).toThrow(TypeError);
    expect(() => new StripTally({ maxRows: -1 })).toThrow(TypeError);
  });
});

// Failures of the world: the origin down or silent gives a short 502/504 page, never a
// stack trace, and the next request is served normally.
import { env } from "cloudflare:workers";
import { createExecutionContext } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import worker from "../../src/index";
import { ISOLATE_STRIP_TALLY } from "../../src/proxy/exchange-log";
import { MAIA, call, respondPath } from "../helpers";

describe("origin faults", () => {
  it("answers 502 when the origin refuses connections", async () => {
    const res = await worker.fetch(
      new Request("http://maia.opendatasoft.com/"),
      { ...env, ORIGIN: "http://127.0.0.1:1" },
      createExecutionContext(),
    );
    expect(res.status).toBe(502);
    const text = await res.text();
    expect(text).toContain("502");
    expect(text).not.toMatch(/at .*\.(ts|js):\d+/);
    expect(res.headers.get("cache-control")).toBe("no-store");
  });

  it("answers 504 when the origin never sends headers, within the configured bound", async () => {
    const started = Date.now();
    const res = await call("/__fixture/hang-headers");
    const elapsed = Date.now() - started;
    expect(res.status).toBe(504);
    expect(elapsed).toBeGreaterThanOrEqual(1400);
    expect(elapsed).toBeLessThan(5000);
    const next = await call(respondPath({ body: "fine" }));
    expect(await next.text()).toBe("fine");
  });
});

describe("logging", () => {
  // The worker module imported here is the one these tests call, so its tally is this one.
  const visit = (path: string, init?: RequestInit) => worker.fetch(new Request(`http://${MAIA}${path}`, init), env, createExecutionContext());

  it("counts stripped and expired cookies per isolate, naming them and why, without a line per response", async () => {
    ISOLATE_STRIP_TALLY.take(Date.now());
    const spy = vi.spyOn(console, "log");
    try {
      for (let i = 0; i < 3; i++) {
        const res = await visit(respondPath({ setCookies: ["_ga=1; Path=/", "mystery=2; Path=/", "csrftoken=t; Path=/"] }), { headers: { cookie: "_gid=1" } });
        await res.arrayBuffer();
      }
      expect(spy.mock.calls.filter((args) => String(args[0]).includes("cookies stripped"))).toEqual([]);
      const window = ISOLATE_STRIP_TALLY.take(Date.now())!;
      expect(window.exchanges).toBe(3);
      expect(window.rows).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ tenant: "maia", source: "origin", name: "_ga", reason: "no-consent", count: 3 }),
          expect.objectContaining({ tenant: "maia", source: "origin", name: "mystery", reason: "unknown", count: 3 }),
          expect.objectContaining({ tenant: "maia", source: "visitor", name: "_gid", reason: "expired", count: 3 }),
        ]),
      );
      expect(JSON.stringify(window)).not.toContain("csrftoken");
    } finally {
      spy.mockRestore();
    }
  });

  it("writes the window as one structured line on the first exchange after it is over", async () => {
    ISOLATE_STRIP_TALLY.take(Date.now());
    const spy = vi.spyOn(console, "log");
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      const strip = respondPath({ setCookies: ["_ga=1; Path=/"] });
      await (await visit(strip)).arrayBuffer();
      vi.setSystemTime(Date.now() + 61_000);
      await (await visit(strip)).arrayBuffer();
      const lines = spy.mock.calls.map((args) => String(args[0])).filter((l) => l.includes("cookies stripped"));
      expect(lines).toHaveLength(1);
      const line = JSON.parse(lines[0]);
      expect(line.exchanges).toBe(1);
      expect(line.rows).toEqual([expect.objectContaining({ tenant: "maia", name: "_ga", count: 1 })]);
    } finally {
      vi.useRealTimers();
      spy.mockRestore();
    }
  });

  it("counts nothing when nothing was stripped", async () => {
    ISOLATE_STRIP_TALLY.take(Date.now());
    const res = await visit(respondPath({ setCookies: ["csrftoken=t; Path=/"] }));
    await res.arrayBuffer();
    expect(ISOLATE_STRIP_TALLY.take(Date.now())).toBeUndefined();
  });
});

// Failures of the world: the origin down or silent gives a short 502/504 page, never a
// stack trace, and the next request is served normally.
import { env } from "cloudflare:workers";
import { createExecutionContext } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import worker from "../../src/index";
import { call, respondPath } from "../helpers";

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
  it("writes one structured line naming the stripped cookies and why", async () => {
    const spy = vi.spyOn(console, "log");
    try {
      const res = await call(respondPath({ setCookies: ["_ga=1; Path=/", "mystery=2; Path=/", "csrftoken=t; Path=/"] }), {
        headers: { cookie: "_gid=1" },
      });
      await res.arrayBuffer();
      const lines = spy.mock.calls.map((args) => String(args[0])).filter((l) => l.includes("consent-edge"));
      expect(lines).toHaveLength(1);
      const record = JSON.parse(lines[0]);
      expect(record.tenant).toBe("maia");
      expect(record.stripped).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ name: "_ga", reason: "no-consent" }),
          expect.objectContaining({ name: "mystery", reason: "unknown" }),
        ]),
      );
      expect(record.expired).toEqual(["_gid"]);
      expect(lines[0]).not.toContain("csrftoken");
    } finally {
      spy.mockRestore();
    }
  });

  it("writes nothing when nothing was stripped", async () => {
    const spy = vi.spyOn(console, "log");
    try {
      const res = await call(respondPath({ setCookies: ["csrftoken=t; Path=/"] }));
      await res.arrayBuffer();
      expect(spy.mock.calls.filter((args) => String(args[0]).includes("consent-edge"))).toEqual([]);
    } finally {
      spy.mockRestore();
    }
  });
});

// The inventory's delayed flush through the worker, in real local D1 and real time: with the
// default cadence (a flush a minute), a sighting counted after the isolate's last flush reaches
// D1 within seconds although no request follows, kept alive by the request's waitUntil.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { MAIA } from "../helpers";

// The isolate's tally is made on first use, with that request's env: this file needs the worker's
// modules as a fresh isolate has them, whatever other test files ran before it in this one (the
// workers project shares an isolate between files).
vi.resetModules();
const { default: worker } = await import("../../src/index");
const { inventoryTally } = await import("../../src/inventory");

// INVENTORY_FLUSH_SECONDS unset: the deployed default (60 s; a new name at most every 5 s).
const ENV = { ...env, DB: env.IDLE_FLUSH_TEST_DB, INVENTORY_FLUSH_SECONDS: "" };

async function visit(cookie: string): Promise<ExecutionContext> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`http://${MAIA}/__fixture/echo`, { headers: { cookie } }), ENV, ctx);
  await res.arrayBuffer();
  return ctx;
}

const seen = (name: string) => env.IDLE_FLUSH_TEST_DB.prepare("SELECT count, service FROM cookie_inventory WHERE tenant = 'maia' AND source = 'visitor' AND name = ?").bind(name).first();

describe("the inventory's delayed flush", () => {
  it("writes a visit's unknown cookie within seconds when no request follows", async () => {
    const first = `idle_first_${crypto.randomUUID().slice(0, 8)}`;
    const later = `idle_later_${crypto.randomUUID().slice(0, 8)}`;
    await waitOnExecutionContext(await visit(`${first}=1`));
    expect(inventoryTally(ENV).options).toMatchObject({ flushEveryMs: 60_000, minGapMs: 5_000, quietMs: 2_000 });
    // The isolate flushed for the first visit (if not earlier): the next new name is not due for 5 s.
    const start = Date.now();
    const ctx = await visit(`${later}=1; sessionid=s`);
    expect(await seen(later)).toBeNull();
    // No more traffic: the only thing that can write it is the delayed flush this visit armed.
    await waitOnExecutionContext(ctx);
    const elapsed = Date.now() - start;
    expect(await seen(later)).toEqual({ count: 1, service: null });
    expect(elapsed).toBeLessThan(8_000);
  }, 20_000);
});

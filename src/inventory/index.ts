/**
 * The cookie inventory of this isolate and its flush to D1: the request path only counts
 * (CookieTally, in memory); when a flush is due, one batch goes to the store through
 * `waitUntil`; counts left when the traffic stops go out with a delayed flush, kept alive by the
 * request's `waitUntil` for a few seconds. `cookieInventory` is the worker's middleware (after the tenant is known);
 * `seeOriginSetCookies` is for the proxy; `seeBlockedHost` for the CSP report endpoint.
 */
import type { MiddlewareHandler } from "hono";
import type { WorkerEnv } from "../worker-env";
import type { CompiledPolicy } from "../policy/types";
import { inBackground, storeOf, waitUntilOf } from "../store";
import { inventoryRows } from "./classify";
import { CookieTally } from "./tally";

export { CookieTally, DEFAULT_TALLY_OPTIONS, OVERFLOW_NAME, type TallyOptions } from "./tally";

let tally: CookieTally | undefined;

/** The isolate's tally, made on first use with INVENTORY_FLUSH_SECONDS (default 60). */
export function inventoryTally(env: { INVENTORY_FLUSH_SECONDS?: string } | undefined): CookieTally {
  if (!tally) {
    const raw = env?.INVENTORY_FLUSH_SECONDS;
    const seconds = raw === undefined || raw.trim() === "" ? NaN : Number(raw);
    const flushEveryMs = Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : 60_000;
    tally = new CookieTally({ flushEveryMs, minGapMs: Math.min(5_000, flushEveryMs), quietMs: Math.min(2_000, flushEveryMs) });
  }
  return tally;
}

/** Counts the origin's Set-Cookie names of one response (ForwardOptions.onOriginSetCookies). */
export function seeOriginSetCookies(tenant: string, lines: readonly string[]): void {
  if (lines.length > 0) inventoryTally(undefined).seeSetCookies(tenant, lines, Date.now());
}

/**
 * Counts the visitor's cookie names, runs the route, then flushes when due. Mount after the
 * middleware that sets c.var.policy and c.var.cookies.
 */
export function cookieInventory(policyOf: (tenant: string) => CompiledPolicy | undefined): MiddlewareHandler<WorkerEnv> {
  return async function cookieInventory(c, next) {
    const t = inventoryTally(c.env);
    // c.get, not c.var: Hono builds c.var as a new object from all the variables at each read.
    t.seeRequestCookies(c.get("policy").id, c.get("cookies"), Date.now());
    await next();
    const now = Date.now();
    if (t.due(now)) flushInventoryIfDue({ env: c.env, waitUntil: waitUntilOf(c), policyOf }, now);
    else {
      const delay = t.idleFlushDelay(now);
      if (delay !== undefined) armIdleFlush({ env: c.env, waitUntil: waitUntilOf(c), policyOf }, delay);
    }
  };
}

/** The most a delayed flush waits in all (Workers end a `waitUntil` 30 s after the response). */
const IDLE_FLUSH_MAX_MS = 20_000;

/**
 * A delayed flush, kept alive by the request's `waitUntil`: after `delay` ms it flushes if the
 * traffic stopped (CookieTally.idleFlushStep), so that the last sightings reach D1 within seconds
 * even if no request follows. Outside an invocation (no waitUntil) nothing is armed.
 */
function armIdleFlush(ctx: FlushContext, delay: number): void {
  const store = storeOf(ctx.env);
  if (!store || !ctx.waitUntil) return;
  const t = inventoryTally(ctx.env);
  inBackground(
    ctx.waitUntil,
    async () => {
      let waited = 0;
      for (let wait = delay; waited + wait <= IDLE_FLUSH_MAX_MS; ) {
        await new Promise((resolve) => setTimeout(resolve, wait));
        waited += wait;
        const now = Date.now();
        const step = t.idleFlushStep(now);
        if (step === null) return;
        if ("waitMs" in step) {
          wait = step.waitMs;
          continue;
        }
        const entries = t.drain(now);
        if (entries.length > 0) await store.addInventory(inventoryRows(entries, ctx.policyOf));
        return;
      }
    },
    { what: "cookie inventory (delayed flush)" },
  );
}

export interface FlushContext {
  env: (Env & { INVENTORY_FLUSH_SECONDS?: string }) | undefined;
  waitUntil: ((p: Promise<unknown>) => void) | undefined;
  policyOf: (tenant: string) => CompiledPolicy | undefined;
}

/** Sends what the tally counted to D1 when a flush is due; without a DB binding the counts are dropped. */
export function flushInventoryIfDue(ctx: FlushContext, now: number): void {
  const t = inventoryTally(ctx.env);
  if (!t.due(now)) return;
  const entries = t.drain(now);
  const store = storeOf(ctx.env);
  if (!store || entries.length === 0) return;
  inBackground(ctx.waitUntil, () => store.addInventory(inventoryRows(entries, ctx.policyOf)), { what: "cookie inventory" });
}

/** A hostname as CSP reports give it (no keyword such as `inline`, `eval`, `data`, `unknown`). */
const HOST = /^(?=.{1,253}$)[a-z0-9-]+(?:\.[a-z0-9-]+)+(?::\d{1,5})?$/;

/**
 * Counts a host the browser's CSP blocked on a tenant's page (from the CSP report endpoint);
 * keywords are not hosts and are left out. The middleware around the route flushes when due.
 */
export function seeBlockedHost(tenant: string, host: string): void {
  const h = host.toLowerCase();
  if (HOST.test(h)) inventoryTally(undefined).seeBlockedHost(tenant, h, Date.now());
}

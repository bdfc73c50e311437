/**
 * The only place that talks to D1: consent records and the cookie inventory (schema in
 * migrations/). A small interface over the binding; callers run it through
 * `ctx.waitUntil` (inBackground), so no response ever waits for it or fails with it.
 */
import type { ConsentRecord } from "../proof/record";

export type InventorySource = "origin" | "visitor" | "csp";

/** One aggregated line of the inventory: `count` sightings between `firstSeen` and `lastSeen`. */
export interface InventoryRow {
  tenant: string;
  source: InventorySource;
  /** A cookie name, or the blocked host for "csp". */
  name: string;
  /** The declared service id, or null when the policy does not declare it. */
  service: string | null;
  firstSeen: number;
  lastSeen: number;
  count: number;
}

export interface ConsentStore {
  saveRecord(record: ConsentRecord): Promise<void>;
  /** Adds the rows' counts to the inventory (first seen kept, last seen moved on). */
  addInventory(rows: readonly InventoryRow[]): Promise<void>;
  /** Deletes consent records created before `time` (ms), and inventory lines last seen before it; returns the records deleted. */
  deleteBefore(time: number): Promise<{ records: number; inventory: number }>;
}

const INSERT_RECORD =
  "INSERT INTO consent_records (id, tenant, created_at, kind, action, revision, policy_sha256, choices, withdrawn, place, via, lang, browser) " +
  "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

const UPSERT_INVENTORY =
  "INSERT INTO cookie_inventory (tenant, source, name, service, first_seen, last_seen, count) VALUES (?, ?, ?, ?, ?, ?, ?) " +
  "ON CONFLICT (tenant, source, name) DO UPDATE SET " +
  "service = excluded.service, first_seen = min(first_seen, excluded.first_seen), " +
  "last_seen = max(last_seen, excluded.last_seen), count = count + excluded.count";

/** The store over a D1 binding. */
export function d1Store(db: D1Database): ConsentStore {
  return {
    async saveRecord(r) {
      await db
        .prepare(INSERT_RECORD)
        .bind(r.id, r.tenant, r.createdAt, r.kind, r.action, r.revision, r.policySha256, JSON.stringify(r.choices), JSON.stringify(r.withdrawn), r.place, r.via, r.lang, r.browser)
        .run();
    },
    async addInventory(rows) {
      if (rows.length === 0) return;
      const upsert = db.prepare(UPSERT_INVENTORY);
      // One batch is one round trip and one transaction, however many names.
      await db.batch(rows.map((r) => upsert.bind(r.tenant, r.source, r.name, r.service, r.firstSeen, r.lastSeen, r.count)));
    },
    async deleteBefore(time) {
      const [records, inventory] = await db.batch([
        db.prepare("DELETE FROM consent_records WHERE created_at < ?").bind(time),
        db.prepare("DELETE FROM cookie_inventory WHERE last_seen < ?").bind(time),
      ]);
      return { records: records.meta.changes ?? 0, inventory: inventory.meta.changes ?? 0 };
    },
  };
}

/** The store of a worker's env, or undefined when the DB binding is absent (the middleware used elsewhere). */
export function storeOf(env: { DB?: D1Database } | undefined): ConsentStore | undefined {
  return env?.DB ? d1Store(env.DB) : undefined;
}

/** What a failed background write logs: one structured line, nothing else (the visitor's answer is already gone). */
export interface StoreFailure {
  msg: "consent-edge: store write failed";
  what: string;
  tenant?: string;
  id?: string;
  error: string;
}

/**
 * Runs `work` after the response (`waitUntil`); a failure becomes one structured log line.
 * Without an execution context (a test's `app.request`), it still runs, unawaited.
 */
export function inBackground(waitUntil: ((p: Promise<unknown>) => void) | undefined, work: () => Promise<unknown>, about: Omit<StoreFailure, "msg" | "error">): void {
  const done = Promise.resolve()
    .then(work)
    .catch((err: unknown) => {
      const line: StoreFailure = { msg: "consent-edge: store write failed", ...about, error: err instanceof Error ? err.message : String(err) };
      console.error(JSON.stringify(line));
    });
  waitUntil?.(done);
}

/** The invocation's waitUntil; undefined outside one (hono's app.request in unit tests). */
export function waitUntilOf(c: { readonly executionCtx: { waitUntil(p: Promise<unknown>): void } }): ((p: Promise<unknown>) => void) | undefined {
  try {
    const ctx = c.executionCtx;
    return (p) => ctx.waitUntil(p);
  } catch {
    return undefined;
  }
}

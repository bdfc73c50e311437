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

/** A record the dead-letter queue delivered: stored in consent_records when it could be, traced either way. */
export interface DeadLetter {
  /** The record id (or the message id when the body is not a record). */
  id: string;
  tenant: string | null;
  createdAt: number | null;
  deadAt: number;
  /** The record to store again; null when the body is not a record. */
  record: ConsentRecord | null;
  /** The body as the queue carried it (kept when it cannot be stored). */
  body: string;
}

export interface ConsentStore {
  /** Idempotent by record id: writing a record again (a redelivery) changes nothing. */
  saveRecord(record: ConsentRecord): Promise<void>;
  /** saveRecord for many, in one transaction: all or none. */
  saveRecords(records: readonly ConsentRecord[]): Promise<void>;
  /**
   * Stores a dead letter's record (idempotently) and its trace (stored = 1); when D1 refuses the
   * record itself (a constraint), only the trace with the body and `error` (stored = 0). Throws
   * when D1 cannot be written at all (down, table missing): the queue retries it.
   */
  saveDeadLetter(letter: DeadLetter): Promise<"stored" | "kept">;
  /** Adds the rows' counts to the inventory (first seen kept, last seen moved on). */
  addInventory(rows: readonly InventoryRow[]): Promise<void>;
  /** Deletes consent records created before `time` (ms), and inventory lines last seen before it; returns the records deleted. */
  deleteBefore(time: number): Promise<{ records: number; inventory: number }>;
}

const INSERT_RECORD =
  "INSERT INTO consent_records (id, tenant, created_at, kind, action, revision, policy_sha256, choices, withdrawn, place, via, lang, browser) " +
  "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING";

const UPSERT_DEAD_LETTER =
  "INSERT INTO consent_dead_letters (id, tenant, created_at, dead_at, stored, body, error) VALUES (?, ?, ?, ?, ?, ?, ?) " +
  "ON CONFLICT (id) DO UPDATE SET seen = seen + 1, stored = max(stored, excluded.stored), " +
  "body = CASE WHEN max(stored, excluded.stored) = 1 THEN NULL ELSE excluded.body END, " +
  "error = CASE WHEN max(stored, excluded.stored) = 1 THEN NULL ELSE excluded.error END";

const UPSERT_INVENTORY =
  "INSERT INTO cookie_inventory (tenant, source, name, service, first_seen, last_seen, count) VALUES (?, ?, ?, ?, ?, ?, ?) " +
  "ON CONFLICT (tenant, source, name) DO UPDATE SET " +
  "service = excluded.service, first_seen = min(first_seen, excluded.first_seen), " +
  "last_seen = max(last_seen, excluded.last_seen), count = count + excluded.count";

/** D1's (SQLite's) errors about the row itself, which no retry changes. */
const REFUSED_RECORD = /constraint failed|SQLITE_CONSTRAINT|datatype mismatch|SQLITE_MISMATCH|SQLITE_TOOBIG|string or blob too big/i;

/** The store over a D1 binding. */
export function d1Store(db: D1Database): ConsentStore {
  const insert = (r: ConsentRecord) =>
    db
      .prepare(INSERT_RECORD)
      .bind(r.id, r.tenant, r.createdAt, r.kind, r.action, r.revision, r.policySha256, JSON.stringify(r.choices), JSON.stringify(r.withdrawn), r.place, r.via, r.lang, r.browser);
  const trace = (l: DeadLetter, stored: boolean, error: string | null) =>
    db.prepare(UPSERT_DEAD_LETTER).bind(l.id, l.tenant, l.createdAt, l.deadAt, stored ? 1 : 0, stored ? null : l.body, error);
  return {
    async saveRecord(r) {
      await insert(r).run();
    },
    async saveRecords(records) {
      if (records.length > 0) await db.batch(records.map(insert));
    },
    async saveDeadLetter(l) {
      let error = "the body is not a consent record";
      if (l.record) {
        try {
          await db.batch([insert(l.record), trace(l, true, null)]);
          return "stored";
        } catch (e) {
          error = e instanceof Error ? e.message : String(e);
          // D1 down, or the table gone: retried by the queue. Only a record D1 refuses for itself is kept aside.
          if (!REFUSED_RECORD.test(error)) throw e;
        }
      }
      await trace(l, false, error).run();
      return "kept";
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

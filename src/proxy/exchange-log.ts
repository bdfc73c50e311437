/**
 * The strip log, aggregated per isolate: instead of one JSON line per response that stripped
 * or expired a cookie (a `console.log` of ~5–30 µs on the hot path), counts per tenant, side
 * and cookie name, written as one line when the window is over. StripTally is pure; no I/O, no
 * clock (`now` is passed in). `tallyStrip`, at the end, is the one hook with a clock and a log
 * that the worker (src/index.ts) and the library middleware (src/middleware.ts) both hand their
 * records to (in Workers, Date.now() moves on with I/O, which is enough for a window).
 *
 * The rows have the shape of the cookie inventory's (src/store InventoryRow: tenant, source,
 * name, service, first and last seen, count) plus the reason, so the inventory can be fed
 * from the same tally. What a window holds when the isolate is evicted is lost: these are
 * logs, and the operator's proof is the D1 record.
 */
import type { StripReason } from "../cookies/decide";
import type { StripLog } from "./enforce";

/** Which way the cookie went: set by the origin and stripped, or sent by the visitor and expired. */
export type StripSource = "origin" | "visitor";

export interface StripRow {
  tenant: string;
  source: StripSource;
  /** The cookie's name ("" for a nameless or unreadable Set-Cookie line). */
  name: string;
  /** The declaring service, when the policy declares the cookie. */
  service: string | null;
  /** Why it was stripped; visitor cookies are expired for want of consent or a declaration. */
  reason: StripReason | "expired";
  /** Present for a tenant in report-only mode: counted, not applied. */
  mode?: "report-only";
  firstSeen: number;
  lastSeen: number;
  count: number;
}

export interface StripWindow {
  msg: "consent-edge: cookies stripped";
  /** The window, ms since epoch. */
  from: number;
  to: number;
  /** Exchanges that stripped or expired anything in the window. */
  exchanges: number;
  rows: StripRow[];
  /** Sightings not itemised because the window already held `maxRows` distinct names. */
  overflow: number;
}

export interface StripTallyOptions {
  /** Length of a window; a line is written on the first exchange after it. Default 60 s. */
  windowMs?: number;
  /** Distinct (tenant, source, name) rows per window; beyond, sightings are only counted. Bounds memory against origins or visitors inventing names. Default 500. */
  maxRows?: number;
}

const DEFAULTS = { windowMs: 60_000, maxRows: 500 };

export class StripTally {
  readonly #windowMs: number;
  readonly #maxRows: number;
  #rows = new Map<string, StripRow>();
  #from = 0;
  #exchanges = 0;
  #overflow = 0;

  constructor(options: StripTallyOptions = {}) {
    const o = { ...DEFAULTS, ...options };
    if (!(o.windowMs > 0) || !(o.maxRows > 0)) throw new TypeError("StripTally: windowMs and maxRows must be positive");
    this.#windowMs = o.windowMs;
    this.#maxRows = o.maxRows;
  }

  /** Counts one exchange's record; returns the finished window's line when this exchange closed it. */
  add(record: StripLog, now: number): StripWindow | undefined {
    const done = this.#exchanges > 0 && now - this.#from >= this.#windowMs ? this.take(now) : undefined;
    if (this.#exchanges === 0) this.#from = now;
    this.#exchanges++;
    const mode = record.mode;
    for (const s of record.stripped) this.#count(record.tenant, "origin", s.name, s.service ?? null, s.reason, mode, now);
    for (const name of record.expired) this.#count(record.tenant, "visitor", name, null, "expired", mode, now);
    return done;
  }

  /** The current window's line (undefined when empty), and a fresh window. */
  take(now: number): StripWindow | undefined {
    if (this.#exchanges === 0) return undefined;
    const line: StripWindow = {
      msg: "consent-edge: cookies stripped",
      from: this.#from,
      to: now,
      exchanges: this.#exchanges,
      rows: [...this.#rows.values()],
      overflow: this.#overflow,
    };
    this.#rows = new Map();
    this.#exchanges = 0;
    this.#overflow = 0;
    return line;
  }

  #count(tenant: string, source: StripSource, name: string, service: string | null, reason: StripRow["reason"], mode: StripRow["mode"], now: number): void {
    // "\n" cannot occur in a tenant id or a cookie name that reached here (both are tokens).
    const key = `${tenant}\n${source}\n${name}\n${mode ?? ""}`;
    const row = this.#rows.get(key);
    if (row) {
      row.count++;
      row.lastSeen = now;
      return;
    }
    if (this.#rows.size >= this.#maxRows) {
      this.#overflow++;
      return;
    }
    const added: StripRow = { tenant, source, name, service, reason, firstSeen: now, lastSeen: now, count: 1 };
    if (mode) added.mode = mode;
    this.#rows.set(key, added);
  }
}

/** The worker's tally: one per isolate, as module state is. */
export const ISOLATE_STRIP_TALLY = new StripTally();

/** One JSON line on the console: the Workers log (`wrangler tail`, Logpush). */
const CONSOLE_LINE = (line: object): void => console.log(JSON.stringify(line));

/**
 * Counts one exchange's strip record in the isolate's tally and writes the finished window
 * through `write` (default: one JSON line on the console) when this exchange closed it.
 */
export function tallyStrip(record: StripLog, write: (line: StripWindow) => void = CONSOLE_LINE): void {
  const window = ISOLATE_STRIP_TALLY.add(record, Date.now());
  if (window) write(window);
}

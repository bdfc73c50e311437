/**
 * The cookie inventory of one isolate, in memory: how often each cookie name (and each host a
 * browser's CSP blocked) was seen per tenant and source since the last flush, and when a flush
 * is due. Pure; no I/O, no clock (`now` is passed in). A flush is due when a name this isolate
 * had not seen appears (at most every `minGapMs`), or every `flushEveryMs` while anything is
 * counted: in the steady state one batch per isolate per `flushEveryMs`, never a write per request.
 * Counts left when the traffic stops are flushed by a delayed flush (`idleFlushDelay` arms one,
 * `idleFlushStep` says what it does when it fires), so that a sighting reaches the store within
 * `quietMs + minGapMs` of the last request even if none follows.
 */
import type { InventorySource } from "../store";

export interface TallyOptions {
  /** Flush counted sightings at least this often, in ms. */
  flushEveryMs: number;
  /** A new name brings the flush forward, but not closer than this to the previous one. */
  minGapMs: number;
  /** Distinct names kept per isolate; sightings of further names count under OVERFLOW_NAME. */
  maxNames: number;
  /** Longer names count under OVERFLOW_NAME (real cookie names are short; random junk is not). */
  maxNameLength: number;
  /** Counts with no sighting for half this long are flushed by the delayed flush, armed this long after a request. */
  quietMs: number;
}

export const DEFAULT_TALLY_OPTIONS: TallyOptions = {
  flushEveryMs: 60_000,
  minGapMs: 5_000,
  maxNames: 2_000,
  maxNameLength: 128,
  quietMs: 2_000,
};

/** What a delayed flush does when it fires: flush now, wait `ms` and ask again, or nothing (traffic goes on; a later one is armed). */
export type IdleFlushStep = { flush: true } | { waitMs: number } | null;

/** Where sightings of names past the bounds are counted. Not a token (RFC 6265 cookie-name), so no real cookie shares it. */
export const OVERFLOW_NAME = "(other)";

/** Sightings of one name since the last drain. */
export interface TallyEntry {
  tenant: string;
  source: InventorySource;
  name: string;
  count: number;
  firstSeen: number;
  lastSeen: number;
}

type Bucket = Map<string, TallyEntry>;

export class CookieTally {
  readonly options: TallyOptions;
  private readonly buckets = new Map<string, Bucket>();
  private names = 0;
  private pending = 0;
  private fresh = false;
  private lastFlush = -Infinity;
  private lastSighting = -Infinity;
  private idleFlushAt = -Infinity;

  constructor(options: Partial<TallyOptions> = {}) {
    this.options = { ...DEFAULT_TALLY_OPTIONS, ...options };
  }

  /** The names of the visitor's Cookie header (parsed once per request elsewhere). */
  seeNames(tenant: string, source: InventorySource, names: Iterable<string>, now: number): void {
    const bucket = this.bucket(tenant, source);
    for (const name of names) if (name) this.see(bucket, tenant, source, name, now);
  }

  /** The names of a request's parsed Cookie header (nameless pairs are skipped). */
  seeRequestCookies(tenant: string, cookies: readonly { name: string }[], now: number): void {
    if (cookies.length === 0) return;
    const bucket = this.bucket(tenant, "visitor");
    for (const cookie of cookies) if (cookie.name) this.see(bucket, tenant, "visitor", cookie.name, now);
  }

  /** The names of the origin's Set-Cookie lines: the text before the first "=" (RFC 6265bis §5.6); nameless lines are skipped. */
  seeSetCookies(tenant: string, lines: readonly string[], now: number): void {
    if (lines.length === 0) return;
    const bucket = this.bucket(tenant, "origin");
    for (const line of lines) {
      const eq = line.indexOf("=");
      const semi = line.indexOf(";");
      if (eq <= 0 || (semi !== -1 && semi < eq)) continue;
      const name = line.slice(0, eq).trim();
      if (name) this.see(bucket, tenant, "origin", name, now);
    }
  }

  /** A host the browser's CSP blocked on one of the tenant's pages. */
  seeBlockedHost(tenant: string, host: string, now: number): void {
    this.see(this.bucket(tenant, "csp"), tenant, "csp", host.toLowerCase(), now);
  }

  /** True when the counted sightings should be flushed now. */
  due(now: number): boolean {
    if (this.pending === 0) return false;
    const since = now - this.lastFlush;
    return since >= this.options.flushEveryMs || (this.fresh && since >= this.options.minGapMs);
  }

  /**
   * After a request that left counts not yet due: the delay of a delayed flush to arm now, or
   * undefined when none is needed. One is armed when none will fire at least `quietMs / 2` from
   * now, so that after the last request one fires between `quietMs / 2` and `quietMs` later: at
   * most two per `quietMs` per isolate, however many requests.
   */
  idleFlushDelay(now: number): number | undefined {
    if (this.pending === 0 || this.idleFlushAt >= now + this.options.quietMs / 2) return undefined;
    this.idleFlushAt = now + this.options.quietMs;
    return this.options.quietMs;
  }

  /**
   * What a delayed flush does when it fires: flush when nothing was seen for `quietMs / 2` (the
   * traffic stopped) and the last flush is `minGapMs` old, or wait for that; nothing while the
   * traffic goes on (a later request armed a later one) or when nothing is pending.
   */
  idleFlushStep(now: number): IdleFlushStep {
    if (this.pending === 0) return null;
    if (this.due(now)) return { flush: true };
    if (now - this.lastSighting < this.options.quietMs / 2) return null;
    const gap = this.lastFlush + this.options.minGapMs - now;
    return gap <= 0 ? { flush: true } : { waitMs: gap };
  }

  /** The sightings counted since the last drain; the counts restart at zero, the names stay known. */
  drain(now: number): TallyEntry[] {
    const out: TallyEntry[] = [];
    if (this.pending > 0) {
      for (const bucket of this.buckets.values()) {
        for (const entry of bucket.values()) {
          if (entry.count === 0) continue;
          out.push({ ...entry });
          entry.count = 0;
        }
      }
    }
    this.pending = 0;
    this.fresh = false;
    this.lastFlush = now;
    return out;
  }

  private bucket(tenant: string, source: InventorySource): Bucket {
    const key = source + " " + tenant;
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = new Map();
      this.buckets.set(key, bucket);
    }
    return bucket;
  }

  private see(bucket: Bucket, tenant: string, source: InventorySource, name: string, now: number): void {
    let entry = bucket.get(name);
    if (!entry) {
      if (name.length > this.options.maxNameLength || this.names >= this.options.maxNames) name = OVERFLOW_NAME;
      entry = bucket.get(name);
      if (!entry) {
        entry = { tenant, source, name, count: 0, firstSeen: now, lastSeen: now };
        bucket.set(name, entry);
        this.names++;
        this.fresh = true;
      }
    }
    if (entry.count === 0) entry.firstSeen = now;
    entry.count++;
    entry.lastSeen = now;
    this.lastSighting = now;
    this.pending++;
  }
}

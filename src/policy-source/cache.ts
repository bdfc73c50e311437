/**
 * A bounded per-isolate cache whose entries are fresh for `ttlMs` and then kept as the last
 * known value until a refresh replaces them. Pure; no clock: `now` is passed in.
 */

export interface CacheOptions {
  ttlMs: number;
  /** Entries kept at most; the oldest written goes first. */
  max: number;
}

interface Entry<V> {
  value: V;
  /** Fresh until then (ms). */
  freshUntil: number;
}

export class TtlCache<V> {
  readonly #entries = new Map<string, Entry<V>>();
  constructor(readonly options: CacheOptions) {}

  /** The entry, fresh or not; undefined when never written (or evicted). */
  peek(key: string): { value: V; fresh: boolean } | undefined;
  peek(key: string, now: number): { value: V; fresh: boolean } | undefined;
  peek(key: string, now = -Infinity): { value: V; fresh: boolean } | undefined {
    const e = this.#entries.get(key);
    return e && { value: e.value, fresh: now < e.freshUntil };
  }

  /** The value while fresh at `now`, else undefined. */
  fresh(key: string, now: number): V | undefined {
    const e = this.#entries.get(key);
    return e && now < e.freshUntil ? e.value : undefined;
  }

  /** Stores `value`, fresh for ttlMs from `now` (or `forMs`). */
  set(key: string, value: V, now: number, forMs = this.options.ttlMs): void {
    if (!this.#entries.delete(key) && this.#entries.size >= this.options.max) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
    this.#entries.set(key, { value, freshUntil: now + forMs });
  }

  get size(): number {
    return this.#entries.size;
  }
}

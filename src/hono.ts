/**
 * The Hono class of this worker: hono's own `Hono` with its RegExpRouter alone. The default
 * `Hono` pairs RegExpRouter with TrieRouter behind SmartRouter, which falls back to the trie only
 * for routes RegExpRouter cannot compile; ours all compile (a test registers them), so the trie
 * and the fallback are ~1 KiB (gzip) of bundle for nothing. Same matching, same speed.
 */
import { HonoBase, type HonoOptions } from "hono/hono-base";
import { RegExpRouter } from "hono/router/reg-exp-router";
import type { BlankEnv, BlankSchema, Env, Schema } from "hono/types";

export class Hono<E extends Env = BlankEnv, S extends Schema = BlankSchema, BasePath extends string = "/"> extends HonoBase<E, S, BasePath> {
  constructor(options: HonoOptions<E> = {}) {
    super(options);
    this.router = options.router ?? new RegExpRouter();
  }
}

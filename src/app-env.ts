/**
 * The Hono environment of the routes and middleware this package shares: the per-request values
 * the core middleware sets, and the bindings they read. No ambient types: any Hono app (a Worker
 * with its own `Env`) can use these routes, so nothing here names this worker's global `Env`.
 */
import type { RequestCookie } from "./cookies/cookie-header";
import type { Consent } from "./consent/types";
import type { CompiledPolicy } from "./policy/types";
import type { ConsentRecord } from "./proof/record";

export interface RequestState {
  /** The tenant, found by Host. */
  policy: CompiledPolicy;
  /** The visitor's consent for this request. */
  consent: Consent;
  /** The request's cookies, parsed once. */
  cookies: RequestCookie[];
  /** The request arrived over https (Secure cookies are possible). */
  secure: boolean;
  /** The normalised hostname the visitor used. */
  host: string;
}

/** The bindings the shared routes read, each optional: without `DB` no consent record is written. */
export interface ConsentEdgeBindings {
  /** Consent records and the cookie inventory (src/store/). */
  DB?: D1Database;
  /** When bound, consent records go through this queue into D1 (src/store/queue.ts); the app must then export its consumer. */
  RECORDS_QUEUE?: Queue<ConsentRecord>;
  /** Seconds before the first retry of a record D1 refused (src/store/queue.ts); default 30. */
  RECORD_RETRY_SECONDS?: string;
  /** The key of the trusted consent record. */
  CONSENT_SECRET?: string;
}

/** The Hono env the shared routes and middleware need; intersect it with your app's own. */
export type ConsentEdgeEnv = { Bindings: ConsentEdgeBindings; Variables: RequestState };

/** The routes' env (the /cookies pages, the middleware). The worker itself adds its vars (src/index.ts). */
export type AppEnv = ConsentEdgeEnv;

/** The Hono environment shared by the worker's routes: bindings and the per-request values the core middleware sets. */
import type { RequestCookie } from "./cookies/cookie-header";
import type { Consent } from "./consent/types";
import type { CompiledPolicy } from "./policy/types";

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

export type AppEnv = { Bindings: Env; Variables: RequestState };

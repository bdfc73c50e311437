/**
 * The proxy's settings from the worker's vars, read once per isolate rather than per request:
 * the origin timeouts, each tenant's origin (`scheme://host[:port]`), the CSP and markup mode overrides. Pure; no I/O.
 */
import { CSP_MODES, MARKUP_MODES, type CompiledPolicy, type CspMode, type MarkupMode } from "../policy/types";

/** How long to wait for the origin's response headers, unless ORIGIN_TIMEOUT_MS says otherwise. */
export const DEFAULT_ORIGIN_TIMEOUT_MS = 20_000;

export interface ProxyVars {
  ORIGIN?: string;
  ORIGIN_TIMEOUT_MS?: string;
  ORIGIN_BODY_IDLE_MS?: string;
  CSP_MODE?: string;
  MARKUP_MODE?: string;
}

export interface ProxyConfig {
  timeoutMs: number;
  /** Unset: the origin's body streams natively, with no idle bound. */
  bodyIdleTimeoutMs?: number;
  /** CSP_MODE, when it names a mode: over every policy's `csp`. */
  cspMode?: CspMode;
  /** MARKUP_MODE, when it names a mode: over every policy's `markup`. */
  markupMode?: MarkupMode;
  /** The origin a tenant's requests go to: ORIGIN when set (development, tests), else the policy's. */
  originFor(policy: CompiledPolicy): string;
}

// Keyed by the env object: the runtime hands every request of an isolate the same one, and a
// caller passing another (tests do) gets its own settings.
const BY_ENV = new WeakMap<object, ProxyConfig>();

/** Throws (a TypeError from URL) when ORIGIN or a policy's origin is not a URL: a configuration error, seen at once. */
export function proxyConfig(env: ProxyVars): ProxyConfig {
  let config = BY_ENV.get(env);
  if (config) return config;
  const fixed = env.ORIGIN ? new URL(env.ORIGIN).origin : undefined;
  const byPolicy = new WeakMap<CompiledPolicy, string>();
  config = {
    timeoutMs: Number(env.ORIGIN_TIMEOUT_MS) || DEFAULT_ORIGIN_TIMEOUT_MS,
    bodyIdleTimeoutMs: Number(env.ORIGIN_BODY_IDLE_MS) || undefined,
    cspMode: CSP_MODES.find((m) => m === env.CSP_MODE),
    markupMode: MARKUP_MODES.find((m) => m === env.MARKUP_MODE),
    originFor(policy) {
      if (fixed) return fixed;
      let origin = byPolicy.get(policy);
      if (origin === undefined) {
        origin = new URL(policy.origin || `https://${policy.hosts[0]}`).origin;
        byPolicy.set(policy, origin);
      }
      return origin;
    },
  };
  BY_ENV.set(env, config);
  return config;
}

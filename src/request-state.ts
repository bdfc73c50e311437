/**
 * From a request to the per-request state every route needs: the tenant (by Host), the
 * parsed cookies and the visitor's consent. Pure; no I/O.
 */
import type { RequestState } from "./app-env";
import { cookieValues, parseCookieHeader } from "./cookies/cookie-header";
import { parseConsent, isGpc } from "./consent/parse";
import { CONSENT_COOKIE } from "./consent/serialize";
import { normalizeHost, type PolicyRegistry } from "./policy/registry";
import type { CompiledPolicy } from "./policy/types";

const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);

export type StateResult =
  | { ok: true; state: RequestState }
  | { ok: false; status: 400 | 421; message: string };

export interface TenantOptions {
  registry: PolicyRegistry;
  /** Serve loopback hosts as this tenant (development only). */
  devTenant?: string;
}

/** The tenant for a request: by its Host header (or the URL's host when the runtime gives none). */
export function resolveTenant(request: Request, options: TenantOptions): { policy: CompiledPolicy; host: string } | { status: 400 | 421; message: string } {
  const raw = request.headers.get("host") ?? new URL(request.url).host;
  const host = normalizeHost(raw);
  if (!host) return { status: 400, message: "The request has no valid Host." };
  let policy = options.registry.byHost(host);
  if (!policy && options.devTenant && LOOPBACK.has(host)) policy = options.registry.byId(options.devTenant);
  if (!policy) return { status: 421, message: "This host is not served here." };
  return { policy, host };
}

/** The consent of a request under a tenant's policy. */
export function stateFor(request: Request, policy: CompiledPolicy, host: string): RequestState {
  const cookies = parseCookieHeader(request.headers.get("cookie"));
  const consent = parseConsent(cookieValues(cookies, CONSENT_COOKIE), policy, { gpc: isGpc(request.headers.get("sec-gpc")) });
  const secure = request.url.startsWith("https:");
  return { policy, consent, cookies, secure, host };
}

/**
 * From a request to the per-request state every route needs: the tenant (by Host), the
 * parsed cookies and the visitor's consent. No I/O beyond Web Crypto (the consent record's
 * HMAC, cached per isolate).
 */
import type { RequestState } from "./app-env";
import { cookieValues, parseCookieHeader } from "./cookies/cookie-header";
import { GPC_REFUSAL, isGpc } from "./consent/parse";
import { consentKey, readConsentRecord, recordCookieName } from "./consent/record";
import { NECESSARY_ONLY } from "./consent/types";
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

export type TenantResult = Readonly<{ policy: CompiledPolicy; host: string }> | Readonly<{ status: 400 | 421; message: string }>;

/**
 * Host header values this isolate has resolved, per registry and dev tenant: a few values answer
 * nearly every request. Bounded, so that invented Host values cost only their own lookup.
 */
const RESOLVED = new WeakMap<PolicyRegistry, Map<string, TenantResult>>();
const RESOLVED_MAX = 256;

/** The tenant for a request: by its Host header (or the URL's host when the runtime gives none). The result is shared: read-only. */
export function resolveTenant(request: Request, options: TenantOptions): TenantResult {
  const raw = request.headers.get("host") ?? new URL(request.url).host;
  let memo = RESOLVED.get(options.registry);
  if (!memo) RESOLVED.set(options.registry, (memo = new Map()));
  // "\n" cannot occur in a header value.
  const key = options.devTenant ? `${options.devTenant}\n${raw}` : raw;
  let found = memo.get(key);
  if (found === undefined) {
    found = Object.freeze(lookUpTenant(raw, options));
    if (memo.size < RESOLVED_MAX) memo.set(key, found);
  }
  return found;
}

function lookUpTenant(raw: string, options: TenantOptions): { policy: CompiledPolicy; host: string } | { status: 400 | 421; message: string } {
  const host = normalizeHost(raw);
  if (!host) return { status: 400, message: "The request has no valid Host." };
  let policy = options.registry.byHost(host);
  if (!policy && options.devTenant && LOOPBACK.has(host)) policy = options.registry.byId(options.devTenant);
  if (!policy) return { status: 421, message: "This host is not served here." };
  return { policy, host };
}

/**
 * The consent of a request under a tenant's policy: read from the worker's signed record only
 * (`__Host-consent-edge` over https, the http fallback name otherwise), never from
 * `cookies_preferences`. `secret` is CONSENT_SECRET; without it nothing is trusted.
 */
export async function stateFor(request: Request, policy: CompiledPolicy, host: string, secret: string | undefined): Promise<RequestState> {
  const cookies = parseCookieHeader(request.headers.get("cookie"));
  const secure = request.url.startsWith("https:");
  const noChoice = isGpc(request.headers.get("sec-gpc")) ? GPC_REFUSAL : NECESSARY_ONLY;
  const values = cookieValues(cookies, recordCookieName(secure));
  const consent = values.length === 0 ? noChoice : await readConsentRecord(values, policy, consentKey(secret), noChoice, Date.now());
  return { policy, consent, cookies, secure, host };
}

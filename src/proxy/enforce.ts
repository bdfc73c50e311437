/**
 * The consent decision applied to one exchange: which cookies go to the origin, which
 * Set-Cookie lines come back, and which cookies the visitor's browser must forget.
 * Pure; no I/O (the log record is returned, not printed). A tenant in `"report-only"` mode
 * gets the same decision; the callers then apply none of it and log it (`isReportOnly`).
 */
import { CONSENT_COOKIE, consentSetCookie, portalValue } from "../consent/serialize";
import type { Consent } from "../consent/types";
import { filterRequestCookies, filterSetCookies, type StrippedCookie } from "../cookies/decide";
import { expireHostAndParent, expiryLines } from "../cookies/expire";
import { narrowDomain, setCookieName } from "../cookies/set-cookie";
import type { CompiledPolicy } from "../policy/types";

export interface RequestDecision {
  /** The Cookie header for the origin; null sends none. */
  cookie: string | null;
  /** Set-Cookie lines that expire the cookies the request carried without consent. */
  expire: string[];
  /** Names of those cookies, for the log. */
  expired: string[];
}

export interface ExchangeContext {
  policy: CompiledPolicy;
  consent: Consent;
  secure: boolean;
  host: string;
}

/** The tenant is rolling out: decide and log as in enforce mode, change nothing on the wire. */
export function isReportOnly(policy: CompiledPolicy): boolean {
  return policy.mode === "report-only";
}

/**
 * The origin sees the `cookies_preferences` the trusted consent stands for, or none: an origin
 * that renders trackers from it is not fooled by a value a sibling tossed. A stale value is
 * also repaired in the visitor's jar (deleted on the parent domain, rewritten or deleted
 * host-only), so the portal's own front-end reads the same decision.
 */
export function decideRequest(cookieHeader: string | null, ctx: ExchangeContext): RequestDecision {
  const portal = portalValue(ctx.consent, ctx.policy);
  const { header, refused, portalStale, portalForwarded } = filterRequestCookies(cookieHeader, ctx.policy, ctx.consent, { portal });
  if (refused.length === 0 && !portalStale) return { cookie: header, expire: [], expired: [] };
  const where = { secure: ctx.secure, host: ctx.host };
  let cookie = header;
  let expire: string[] = [];
  const expired: string[] = [];
  if (portalStale) {
    expired.push(CONSENT_COOKIE);
    expire = expireHostAndParent(CONSENT_COOKIE, ctx.policy, where, portal === null);
    if (portal !== null) {
      const pair = `${CONSENT_COOKIE}=${portal}`;
      if (!portalForwarded) cookie = cookie === null ? pair : `${cookie}; ${pair}`;
      expire.push(consentSetCookie(portal, { secure: ctx.secure, now: ctx.consent.decidedAt! }));
    }
  }
  if (refused.length > 0) {
    expire = expire.concat(expiryLines(refused, ctx.policy, where));
    for (const r of refused) expired.push(r.name);
  }
  return { cookie, expire, expired };
}

export interface ResponseDecision {
  /** Set-Cookie lines for the visitor: the origin's kept lines, byte-for-byte and in order, then the expiries. */
  setCookies: string[];
  /** True when `setCookies` are exactly the origin's lines: the response's Set-Cookie headers need no edit. */
  unchanged: boolean;
  stripped: StrippedCookie[];
}

/**
 * `options.ownConsentCookies`: the response comes from the app's own handlers (the middleware),
 * whose /cookies page writes the consent cookies; they pass, and a choice written here is not
 * undone by the repair of a stale `cookies_preferences`. A proxied origin never gets this.
 */
export function decideResponse(
  originSetCookies: readonly string[],
  request: RequestDecision,
  ctx: ExchangeContext,
  options?: { ownConsentCookies?: boolean },
): ResponseDecision {
  const own = options?.ownConsentCookies === true;
  let { kept, stripped } = filterSetCookies(originSetCookies, ctx.policy, ctx.consent, { ownConsentCookies: own });
  const rescoped = narrowDomains(kept, ctx);
  let expire = request.expire;
  if (rescoped) kept = rescoped;
  if (own && expire.length > 0 && kept.some((l) => setCookieName(l) === CONSENT_COOKIE)) {
    expire = expire.filter((l) => !l.startsWith(`${CONSENT_COOKIE}=`));
  }
  // Filtering keeps order, so as many lines as the origin sent means all of them, as they were.
  if (expire.length === 0) return { setCookies: kept, stripped, unchanged: !rescoped && kept.length === originSetCookies.length };
  // Kept and expired names never overlap: both follow from the same classification and consent.
  return { setCookies: kept.concat(expire), stripped, unchanged: false };
}

/**
 * The kept lines with every cookie's scope cut to what its policy declares (`domains`, default
 * host-only): a line whose Domain is wider (a necessary `sessionid` written for the whole parent
 * domain, which every sibling tenant would then receive) loses its Domain attribute and becomes
 * host-only, the rest of the line as sent. Null when no line needed it (the usual case: one
 * substring test per line). Lines of the worker's own consent cookies are not policy cookies.
 */
function narrowDomains(kept: readonly string[], ctx: ExchangeContext): string[] | null {
  let out: string[] | null = null;
  const host = ctx.host.toLowerCase();
  for (let i = 0; i < kept.length; i++) {
    const line = kept[i];
    // "Domain" in any case: the cheap test first, the reading only when it may be there.
    if (line.indexOf("omain") === -1 && line.indexOf("OMAIN") === -1) continue;
    const name = setCookieName(line);
    const c = name ? ctx.policy.classify(name) : undefined;
    if (!c) continue;
    const allowed = (c.cookie.domains ?? ["host"]).map((d) => (d === "host" ? host : d === "parent" ? ctx.policy.parentDomainFor(host) : d.replace(/^\./, "").toLowerCase()));
    const narrowed = narrowDomain(line, host, allowed);
    if (narrowed === line) continue;
    out ??= kept.slice();
    out[i] = narrowed;
  }
  return out;
}

export interface StripLog {
  msg: "consent-edge: cookies stripped" | "consent-edge: report-only, would strip";
  /** Present in report-only mode: nothing in `stripped` or `expired` was applied. */
  mode?: "report-only";
  tenant: string;
  method: string;
  path: string;
  status: number;
  stripped: StrippedCookie[];
  expired: string[];
}

/** The structured log record for an exchange that stripped or expired anything; undefined otherwise. */
export function stripLog(
  ctx: ExchangeContext,
  request: RequestDecision,
  response: ResponseDecision,
  info: { method: string; path: string; status: number },
): StripLog | undefined {
  if (response.stripped.length === 0 && request.expired.length === 0) return undefined;
  // Fields written out rather than spread from `info`: a spread copies by a slow generic path.
  if (isReportOnly(ctx.policy)) {
    // `expired`: what enforce mode would expire and keep from the origin.
    return {
      msg: "consent-edge: report-only, would strip",
      mode: "report-only",
      tenant: ctx.policy.id,
      method: info.method,
      path: info.path,
      status: info.status,
      stripped: response.stripped,
      expired: request.expired,
    };
  }
  return {
    msg: "consent-edge: cookies stripped",
    tenant: ctx.policy.id,
    method: info.method,
    path: info.path,
    status: info.status,
    stripped: response.stripped,
    expired: request.expired,
  };
}

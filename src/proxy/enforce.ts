/**
 * The consent decision applied to one exchange: which cookies go to the origin, which
 * Set-Cookie lines come back, and which cookies the visitor's browser must forget.
 * Pure; no I/O (the log record is returned, not printed). A tenant in `"report-only"` mode
 * gets the same decision; the callers then apply none of it and log it (`isReportOnly`).
 */
import type { Consent } from "../consent/types";
import { filterRequestCookies, filterSetCookies, type StrippedCookie } from "../cookies/decide";
import { expiryLines } from "../cookies/expire";
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

export function decideRequest(cookieHeader: string | null, ctx: ExchangeContext): RequestDecision {
  const { header, refused } = filterRequestCookies(cookieHeader, ctx.policy, ctx.consent);
  if (refused.length === 0) return { cookie: header, expire: [], expired: [] };
  return {
    cookie: header,
    expire: expiryLines(refused, ctx.policy, { secure: ctx.secure, host: ctx.host }),
    expired: refused.map((r) => r.name),
  };
}

export interface ResponseDecision {
  /** Set-Cookie lines for the visitor: the origin's kept lines, byte-for-byte and in order, then the expiries. */
  setCookies: string[];
  /** True when `setCookies` are exactly the origin's lines: the response's Set-Cookie headers need no edit. */
  unchanged: boolean;
  stripped: StrippedCookie[];
}

export function decideResponse(originSetCookies: readonly string[], request: RequestDecision, ctx: ExchangeContext): ResponseDecision {
  const { kept, stripped } = filterSetCookies(originSetCookies, ctx.policy, ctx.consent);
  // Filtering keeps order, so as many lines as the origin sent means all of them, as they were.
  if (request.expire.length === 0) return { setCookies: kept, stripped, unchanged: kept.length === originSetCookies.length };
  // Kept and expired names never overlap: both follow from the same classification and consent.
  return { setCookies: kept.concat(request.expire), stripped, unchanged: false };
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
  if (isReportOnly(ctx.policy)) {
    // `expired`: what enforce mode would expire and keep from the origin.
    return { msg: "consent-edge: report-only, would strip", mode: "report-only", tenant: ctx.policy.id, ...info, stripped: response.stripped, expired: request.expired };
  }
  return {
    msg: "consent-edge: cookies stripped",
    tenant: ctx.policy.id,
    ...info,
    stripped: response.stripped,
    expired: request.expired,
  };
}

/**
 * The keep/strip decision for cookies, both directions: which Set-Cookie lines reach the
 * browser and which Cookie pairs reach the origin. Pure; no I/O. Fails closed: a cookie no
 * policy declares, or one the browser would not store as written, never passes.
 */
import { isRecordCookieName, RECORD_COOKIE, RECORD_COOKIE_HTTP } from "../consent/record";
import { CONSENT_COOKIE } from "../consent/serialize";
import type { Consent } from "../consent/types";
import type { Category, CompiledPolicy, CookieClassification } from "../policy/types";
import { parseCookieHeader } from "./cookie-header";
import { clearedSetCookieName, noRejectedControls, setCookieName } from "./set-cookie";

/** "consent-cookie": a consent cookie the origin tried to set; only the worker writes consent. */
export type StripReason = "unknown" | "no-consent" | "unparseable" | "consent-cookie";

/** Read-only: the record of a name is made once per policy and shared by every response. */
export interface StrippedCookie {
  /** The name the browser would have stored; "" for nameless and unparseable lines. */
  readonly name: string;
  readonly reason: StripReason;
  /** The declaring service's id, when the cookie is declared. */
  readonly service?: string;
}

export interface RefusedCookie {
  name: string;
  reason: StripReason;
  classification?: CookieClassification;
}

/** A service is allowed when it is necessary or its consent key is granted. */
export function isServiceAllowed(s: { category: Category; consentKey: string }, consent: Consent): boolean {
  return s.category === "necessary" || consent.granted.has(s.consentKey);
}

/** Necessary cookies always; others only with consent for their service; undeclared never. */
export function isAllowed(c: CookieClassification | undefined, consent: Consent): boolean {
  return c !== undefined && isServiceAllowed(c.service, consent);
}

/** True for a name the origin may never set: the worker's record (any case or prefix) or `cookies_preferences`. */
export function isConsentCookieName(name: string): boolean {
  return name === CONSENT_COOKIE || isRecordCookieName(name);
}

/** What a cookie name is under one policy; the same for every response and every consent. */
interface NameFate {
  /** A consent cookie: only the worker writes it. */
  consent: boolean;
  classification: CookieClassification | undefined;
  /** The strip record of a Set-Cookie line of this name (frozen, shared). */
  stripped: StrippedCookie;
}

/** Names seen per policy, each read once (origins send the same few names over and over). */
const fates = new WeakMap<CompiledPolicy, Map<string, NameFate>>();
/** Names kept per policy; beyond, a name is read each time (bounds memory against invented names). */
export const MAX_NAME_FATES = 512;
const UNPARSEABLE: StrippedCookie = Object.freeze({ name: "", reason: "unparseable" });

function fatesOf(policy: CompiledPolicy): Map<string, NameFate> {
  let table = fates.get(policy);
  if (table === undefined) fates.set(policy, (table = new Map()));
  return table;
}

function fateOf(name: string, policy: CompiledPolicy, table: Map<string, NameFate>): NameFate {
  let fate = table.get(name);
  if (fate !== undefined) return fate;
  const consent = isConsentCookieName(name);
  const c = name === "" ? undefined : policy.classify(name);
  const stripped: StrippedCookie = consent
    ? { name, reason: "consent-cookie" }
    : c
      ? { name, reason: "no-consent", service: c.service.id }
      : { name, reason: "unknown" };
  fate = { consent, classification: c, stripped: Object.freeze(stripped) };
  if (table.size < MAX_NAME_FATES) table.set(name, fate);
  return fate;
}

/**
 * Splits upstream Set-Cookie lines (from `headers.getSetCookie()`) into those to send on,
 * the same strings in the same order, and a record of the rest. Consent cookies are always
 * stripped, declared or not: an origin's grant must never reach the visitor's jar. With
 * `options.ownConsentCookies` (the app's own handlers, in the middleware) they pass as written.
 */
export function filterSetCookies(
  lines: readonly string[],
  policy: CompiledPolicy,
  consent: Consent,
  options?: { ownConsentCookies?: boolean },
): { kept: string[]; stripped: StrippedCookie[] } {
  const own = options?.ownConsentCookies === true;
  const kept: string[] = [];
  const stripped: StrippedCookie[] = [];
  const table = fatesOf(policy);
  // One check of the whole response for control characters; line by line only when it finds one.
  const cleared = lines.length > 0 && noRejectedControls(lines);
  for (const line of lines) {
    const name = cleared ? clearedSetCookieName(line) : setCookieName(line);
    if (name === null) {
      // The browser would ignore this line anyway; dropping it changes nothing for the visitor.
      stripped.push(UNPARSEABLE);
      continue;
    }
    const fate = fateOf(name, policy, table);
    if (fate.consent ? own : isAllowed(fate.classification, consent)) kept.push(line);
    else stripped.push(fate.stripped);
  }
  return { kept, stripped };
}

export interface RequestCookieFilter {
  /** The Cookie header for the origin; null when no pair is left. */
  header: string | null;
  /** Refused cookies, each name once, in first-seen order. */
  refused: RefusedCookie[];
  /** With `options.portal`: the request carried a `cookies_preferences` that is not `portal` (not forwarded). */
  portalStale: boolean;
  /** With `options.portal`: a `cookies_preferences` pair equal to it was forwarded. */
  portalForwarded: boolean;
}

/**
 * The Cookie header to forward to the origin (allowed pairs as sent, "; "-joined; null when
 * none is left) and the refused cookies, each name once, in first-seen order. The worker's
 * records are neither forwarded nor refused (they are the worker's own). With `options.portal`
 * (the `cookies_preferences` value the trusted consent stands for, null for no choice), only a
 * `cookies_preferences` pair equal to it is forwarded; any other is reported as `portalStale`.
 */
export function filterRequestCookies(
  header: string | null | undefined,
  policy: CompiledPolicy,
  consent: Consent,
  options?: { portal?: string | null },
): RequestCookieFilter {
  const refused: RefusedCookie[] = [];
  if (!header) return { header: null, refused, portalStale: false, portalForwarded: false };
  const portal = options?.portal;
  let portalStale = false;
  let portalForwarded = false;
  let forwarded = "";
  let seen: Set<string> | undefined;
  for (const cookie of parseCookieHeader(header)) {
    if (cookie.name === RECORD_COOKIE || cookie.name === RECORD_COOKIE_HTTP) continue;
    if (portal !== undefined && cookie.name === CONSENT_COOKIE && cookie.value !== portal) {
      portalStale = true;
      continue;
    }
    if (portal !== undefined && cookie.name === CONSENT_COOKIE) {
      if (portalForwarded) continue; // once is enough
      portalForwarded = true;
    }
    const c = cookie.name === "" ? undefined : policy.classify(cookie.name);
    if (isAllowed(c, consent)) {
      forwarded = forwarded === "" ? cookie.raw : `${forwarded}; ${cookie.raw}`;
      continue;
    }
    seen ??= new Set();
    if (seen.has(cookie.name)) continue;
    seen.add(cookie.name);
    refused.push(
      c
        ? { name: cookie.name, reason: "no-consent", classification: c }
        : { name: cookie.name, reason: "unknown" },
    );
  }
  return { header: forwarded === "" ? null : forwarded, refused, portalStale, portalForwarded };
}

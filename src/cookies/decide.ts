/**
 * The keep/strip decision for cookies, both directions: which Set-Cookie lines reach the
 * browser and which Cookie pairs reach the origin. Pure; no I/O. Fails closed: a cookie no
 * policy declares, or one the browser would not store as written, never passes.
 */
import type { Consent } from "../consent/types";
import type { Category, CompiledPolicy, CookieClassification } from "../policy/types";
import { parseCookieHeader } from "./cookie-header";
import { setCookieName } from "./set-cookie";

export type StripReason = "unknown" | "no-consent" | "unparseable";

export interface StrippedCookie {
  /** The name the browser would have stored; "" for nameless and unparseable lines. */
  name: string;
  reason: StripReason;
  /** The declaring service's id, when the cookie is declared. */
  service?: string;
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

/**
 * Splits upstream Set-Cookie lines (from `headers.getSetCookie()`) into those to send on,
 * the same strings in the same order, and a record of the rest.
 */
export function filterSetCookies(
  lines: readonly string[],
  policy: CompiledPolicy,
  consent: Consent,
): { kept: string[]; stripped: StrippedCookie[] } {
  const kept: string[] = [];
  const stripped: StrippedCookie[] = [];
  for (const line of lines) {
    const name = setCookieName(line);
    if (name === null) {
      // The browser would ignore this line anyway; dropping it changes nothing for the visitor.
      stripped.push({ name: "", reason: "unparseable" });
      continue;
    }
    const c = name === "" ? undefined : policy.classify(name);
    if (isAllowed(c, consent)) kept.push(line);
    else if (c) stripped.push({ name, reason: "no-consent", service: c.service.id });
    else stripped.push({ name, reason: "unknown" });
  }
  return { kept, stripped };
}

/**
 * The Cookie header to forward to the origin (allowed pairs as sent, "; "-joined; null when
 * none is left) and the refused cookies, each name once, in first-seen order.
 */
export function filterRequestCookies(
  header: string | null | undefined,
  policy: CompiledPolicy,
  consent: Consent,
): { header: string | null; refused: RefusedCookie[] } {
  const refused: RefusedCookie[] = [];
  if (!header) return { header: null, refused };
  let forwarded = "";
  let seen: Set<string> | undefined;
  for (const cookie of parseCookieHeader(header)) {
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
  return { header: forwarded === "" ? null : forwarded, refused };
}

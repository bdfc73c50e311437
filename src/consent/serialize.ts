/**
 * Writes a consent back as the `cookies_preferences` value (the Opendatasoft form) and its
 * Set-Cookie line. Pure; no I/O, no clock (`now` is passed in). Throws only on programmer
 * error (bad `now`, a value that is not a cookie-value, a policy that cannot be written).
 */
import type { CompiledPolicy } from "../policy/types";
import { encodeConsentJson, indexConsentPolicy, MAX_TIME } from "./consent-index";
import type { Consent } from "./types";

export const CONSENT_COOKIE = "cookies_preferences";
/** 180 days, in seconds. */
export const CONSENT_MAX_AGE = 15552000;

export interface ConsentSetCookieOptions {
  /** Add `Secure` (the request came over https). */
  secure: boolean;
  /** Milliseconds since the epoch, for `Expires`. */
  now: number;
}

/** RFC 6265 §4.1.1 cookie-octet: printable US-ASCII except DQUOTE, comma, semicolon and backslash. */
const COOKIE_VALUE = /^[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]*$/;

/**
 * The cookie value recording `granted` for every non-necessary consent key of the policy, plus
 * `timestamp: now` and the policy's `revision`; keys the policy does not use are dropped. The
 * result is URL-encoded (a valid cookie-value, under 4096 bytes: `indexConsentPolicy` rejects
 * policies for which it would not be) and `parseConsent` reads it back to the same granted set.
 */
export function serializeConsent(
  granted: ReadonlySet<string> | Iterable<string>,
  policy: CompiledPolicy,
  now: number,
): string {
  if (!Number.isInteger(now) || Math.abs(now) > MAX_TIME) {
    throw new RangeError(`serializeConsent: now must be a time in milliseconds, got ${now}`);
  }
  const index = indexConsentPolicy(policy);
  const set = granted instanceof Set ? (granted as ReadonlySet<string>) : new Set(granted);
  return encodeConsentJson(index, (key) => set.has(key), now, policy.revision);
}

/**
 * The Set-Cookie line for a consent value: host-only, whole site, 180 days. Not HttpOnly,
 * because the portal's own banner script reads the cookie. `Max-Age` wins over `Expires` where
 * both are understood (RFC 6265 §5.3); `Expires` serves older clients.
 */
export function consentSetCookie(value: string, opts: ConsentSetCookieOptions): string {
  if (!COOKIE_VALUE.test(value)) {
    throw new TypeError("consentSetCookie: value is not an RFC 6265 cookie-value; use serializeConsent");
  }
  const expires = new Date(opts.now + CONSENT_MAX_AGE * 1000);
  if (Number.isNaN(expires.getTime())) {
    throw new RangeError(`consentSetCookie: now must be a time in milliseconds, got ${opts.now}`);
  }
  // Date#toUTCString is the IMF-fixdate of RFC 9110 §5.6.7 ("Sun, 06 Nov 1994 08:49:37 GMT").
  return (
    `${CONSENT_COOKIE}=${value}; Path=/; Max-Age=${CONSENT_MAX_AGE}; Expires=${expires.toUTCString()}; SameSite=Lax` +
    (opts.secure ? "; Secure" : "")
  );
}

const portalValues = new WeakMap<Consent, string>();

/**
 * The `cookies_preferences` value that the trusted consent stands for (the one the POST handler
 * wrote with it: same keys, `timestamp` = the decision time), or null when the visitor has no
 * trusted choice. Memoised per consent value (verified records are cached per isolate).
 */
export function portalValue(consent: Consent, policy: CompiledPolicy): string | null {
  if (!consent.explicit || consent.decidedAt === undefined) return null;
  let value = portalValues.get(consent);
  if (value === undefined) {
    value = serializeConsent(consent.granted, policy, consent.decidedAt);
    portalValues.set(consent, value);
  }
  return value;
}

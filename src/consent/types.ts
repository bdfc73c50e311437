/** The visitor's consent for one request. Pure types. */

export interface Consent {
  /**
   * True when the visitor's own choice counts for this policy revision: a valid trusted record
   * (src/consent/record.ts), never `cookies_preferences`, which any sibling host can write.
   * False for "no choice yet", including GPC and unreadable records: the banner is shown only when this is false and `source` is not "gpc".
   */
  explicit: boolean;
  /** Where the decision came from. */
  source: "cookie" | "gpc" | "default";
  /** Consent keys granted (e.g. "ga", "matomo"). Necessary services need none. */
  granted: ReadonlySet<string>;
  /** The trusted record's id (16 random bytes, base64url, 22 characters), when the record is valid. */
  recordId?: string;
  /** When the visitor decided (ms since the epoch), when the record is valid. */
  decidedAt?: number;
}

export const NECESSARY_ONLY: Consent = Object.freeze({
  explicit: false,
  source: "default",
  granted: new Set<string>(),
}) as Consent;

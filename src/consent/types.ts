/** The visitor's consent for one request. Pure types. */

export interface Consent {
  /**
   * True when the visitor's own choice counts for this policy revision (a valid
   * `cookies_preferences`). False for "no choice yet", including GPC and unreadable cookies:
   * the banner is shown only when this is false and `source` is not "gpc".
   */
  explicit: boolean;
  /** Where the decision came from. */
  source: "cookie" | "gpc" | "default";
  /** Consent keys granted (e.g. "ga", "matomo"). Necessary services need none. */
  granted: ReadonlySet<string>;
  /** The id of the choice's consent record (22-char base64url), when the trusted consent carries one. */
  recordId?: string;
  /** When the choice was made, ms since the epoch, when the trusted consent carries it. */
  decidedAt?: number;
}

export const NECESSARY_ONLY: Consent = Object.freeze({
  explicit: false,
  source: "default",
  granted: new Set<string>(),
}) as Consent;

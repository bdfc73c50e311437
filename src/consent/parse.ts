/**
 * Reads the visitor's `cookies_preferences` values and the Sec-GPC signal into a Consent.
 * Pure; no I/O, no clock; never throws: anything unreadable fails closed to "no choice".
 *
 * Accepted cookie values (after trimming, removing one pair of surrounding DQUOTEs as
 * RFC 6265 §4.1.1 allows for a cookie-value, and percent-decoding):
 * - a JSON object (the Opendatasoft form, or categories): each key that is a consent key of the
 *   policy (`ga`, `matomo`, ...) or a category (`statistics`, `functional`, `marketing`,
 *   `necessary`) must map to a boolean, and only `true` grants. Both kinds may be mixed: a
 *   category grants all its services except those whose own key the object also names (the
 *   more specific key wins). Optional `timestamp` must be a finite number and `revision` a
 *   string. Other keys are ignored whatever their value, so that the portal may add fields;
 * - a comma list of categories (`statistics, functional`), case-insensitive; unknown names are ignored.
 * A value must name at least one key or category of the policy, or carry the policy's current
 * `revision` (`necessary` alone is an explicit refusal of everything optional). Keys are matched through Maps, so `__proto__` and
 * `constructor` are plain unknown keys.
 */
import type { CompiledPolicy } from "../policy/types";
import { NECESSARY_ONLY, type Consent } from "./types";
import { indexConsentPolicy, MAX_CONSENT_VALUE_LENGTH, type ConsentIndex } from "./consent-index";

export interface ParseConsentOptions {
  /** The request carried `Sec-GPC: 1` (see `isGpc`). */
  gpc: boolean;
}

/** No valid choice, with Global Privacy Control: everything optional refused. */
export const GPC_REFUSAL: Consent = Object.freeze({
  explicit: false,
  source: "gpc",
  granted: new Set<string>(),
}) as Consent;

/**
 * `values` are all the `cookies_preferences` values of the request, in any order. No value, or
 * several different ones (which one the portal's script reads is not defined), or an unreadable
 * or outdated one, is "no choice": NECESSARY_ONLY, or GPC_REFUSAL with `opts.gpc`.
 *
 * A valid choice wins over GPC. GPC (https://privacycg.github.io/gpc-spec/) is a general
 * preference the browser sends to every site before the visitor has said anything to this one;
 * a choice the visitor made afterwards on this site's own banner is the more specific and more
 * recent expression of the same person's will, so it decides. Without such a choice GPC is
 * honoured as a refusal, and the banner need not be shown.
 */
export function parseConsent(
  values: readonly string[],
  policy: CompiledPolicy,
  opts: ParseConsentOptions,
): Consent {
  const noChoice = opts.gpc ? GPC_REFUSAL : NECESSARY_ONLY;
  let value: string | undefined;
  for (const raw of values) {
    const candidate = raw.trim();
    if (value === undefined) value = candidate;
    else if (candidate !== value) return noChoice;
  }
  if (value === undefined) return noChoice;

  let index: ConsentIndex;
  try {
    index = indexConsentPolicy(policy);
  } catch {
    // A policy that cannot be written cannot be read either; its loader reports the error.
    return noChoice;
  }
  const granted = readValue(value, index, policy.revision);
  return granted ? { explicit: true, source: "cookie", granted } : noChoice;
}

/**
 * The GPC spec defines one value for the header, "1" (https://privacycg.github.io/gpc-spec/#the-sec-gpc-header-field-for-http-requests);
 * anything else, or no header, is no signal.
 */
export function isGpc(header: string | null | undefined): boolean {
  return header != null && header.trim() === "1";
}

/** The granted keys of a valid, current value; undefined for anything else. */
function readValue(value: string, index: ConsentIndex, revision: string): Set<string> | undefined {
  if (value.length === 0 || value.length > MAX_CONSENT_VALUE_LENGTH) return undefined;
  let text = value;
  if (text.length >= 2 && text.startsWith('"') && text.endsWith('"')) text = text.slice(1, -1);
  if (text.includes("%")) {
    try {
      text = decodeURIComponent(text);
    } catch {
      return undefined; // Truncated or invalid percent-encoding (URIError).
    }
  }
  text = text.trim();
  return text.startsWith("{") ? readJson(text, index, revision) : readCategoryList(text, index);
}

function readJson(text: string, index: ConsentIndex, revision: string): Set<string> | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return undefined;
  const record = parsed as Record<string, unknown>;

  let recognised = false;
  const granted = new Set<string>();
  const named = new Set<string>();
  const fromCategories: string[] = [];
  // JSON.parse makes own data properties only (even for "__proto__"); Object.keys lists exactly those.
  for (const key of Object.keys(record)) {
    const v = record[key];
    if (key === "timestamp") {
      if (typeof v !== "number" || !Number.isFinite(v)) return undefined;
      continue;
    }
    if (key === "revision") {
      if (typeof v !== "string") return undefined;
      if (v !== revision) return undefined; // Consent given to another policy revision: ask again.
      recognised = true; // Written for this very policy, even if it has no optional key to name.
      continue;
    }
    const grantable = index.services.get(key);
    const categoryKeys = grantable === undefined ? index.categories.get(key) : undefined;
    if (grantable === undefined && categoryKeys === undefined) continue;
    if (typeof v !== "boolean") return undefined;
    recognised = true;
    if (categoryKeys !== undefined) {
      if (v) fromCategories.push(...categoryKeys);
    } else {
      named.add(key);
      if (v && grantable) granted.add(key);
    }
  }
  if (!recognised) return undefined;
  for (const key of fromCategories) if (!named.has(key)) granted.add(key);
  return granted;
}

function readCategoryList(text: string, index: ConsentIndex): Set<string> | undefined {
  let recognised = false;
  const granted = new Set<string>();
  for (const token of text.split(",")) {
    const keys = index.categories.get(token.trim().toLowerCase());
    if (keys === undefined) continue;
    recognised = true;
    for (const key of keys) granted.add(key);
  }
  return recognised ? granted : undefined;
}

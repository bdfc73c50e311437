/**
 * The per-policy lookup tables shared by `parse.ts` and `serialize.ts`, built once per
 * compiled policy and memoised. Pure; no I/O; throws only for a policy whose consent cookie
 * cannot be written.
 */
import { CATEGORIES, type CompiledPolicy } from "../policy/types";

/** RFC 6265bis user agents keep at least 4096 bytes per cookie (name + value); we cap the value there. */
export const MAX_CONSENT_VALUE_LENGTH = 4096;

/** Keys of the Opendatasoft form that are not consent keys. */
export const META_KEYS: ReadonlySet<string> = new Set(["timestamp", "revision"]);

export interface ConsentIndex {
  /** Non-necessary consent keys, in policy order, without duplicates: what the cookie records. */
  keys: readonly string[];
  /** Every service consent key → true when granting it means something (a non-necessary service uses it). */
  services: ReadonlyMap<string, boolean>;
  /** Every category (lower-case) → the non-necessary consent keys of that category (empty for `necessary`). */
  categories: ReadonlyMap<string, readonly string[]>;
  /** `"key":` fragments, JSON-quoted once, in the order of `keys`. */
  quotedKeys: readonly string[];
}

const cache = new WeakMap<CompiledPolicy, ConsentIndex>();

/** The largest |time value| a Date accepts (ECMA-262 §21.4.1.1); `serializeConsent` writes no wider timestamp. */
export const MAX_TIME = 8.64e15;

/**
 * Returns the consent index of a policy. Throws an Error when the policy cannot be
 * represented in `cookies_preferences`: a consent key named `timestamp`/`revision`, a key or
 * revision that is not encodable (lone surrogate), or so many keys that the value would
 * exceed MAX_CONSENT_VALUE_LENGTH. Call it when policies are loaded to fail at deploy time.
 */
export function indexConsentPolicy(policy: CompiledPolicy): ConsentIndex {
  const hit = cache.get(policy);
  if (hit) return hit;

  const services = new Map<string, boolean>();
  const categories = new Map<string, string[]>(CATEGORIES.map((c) => [c, []]));
  for (const service of policy.services) {
    const key = service.consentKey;
    if (META_KEYS.has(key)) {
      throw new Error(`policy ${policy.id}: service ${service.id} uses the reserved consent key "${key}"`);
    }
    const grantable = service.category !== "necessary";
    services.set(key, (services.get(key) ?? false) || grantable);
    const inCategory = categories.get(service.category);
    if (grantable && inCategory && !inCategory.includes(key)) inCategory.push(key);
  }
  const keys = [...services].filter(([, grantable]) => grantable).map(([key]) => key);
  const index: ConsentIndex = {
    keys,
    services,
    categories,
    quotedKeys: keys.map((key) => JSON.stringify(key) + ":"),
  };

  // The longest value we can write: every key false (longer than true), the widest timestamp.
  // (JSON.stringify escapes lone surrogates since ES2019, so encodeURIComponent cannot throw here.)
  const worst = encodeConsentJson(index, () => false, -MAX_TIME, policy.revision);
  if (worst.length >= MAX_CONSENT_VALUE_LENGTH) {
    throw new Error(
      `policy ${policy.id}: cookies_preferences would be ${worst.length} bytes with ${keys.length} consent keys ` +
        `(limit ${MAX_CONSENT_VALUE_LENGTH - 1}); use fewer or shorter consent keys`,
    );
  }
  cache.set(policy, index);
  return index;
}

/** The Opendatasoft form, URL-encoded: `{"ga":true,...,"timestamp":now,"revision":"..."}`. */
export function encodeConsentJson(
  index: ConsentIndex,
  isGranted: (key: string) => boolean,
  now: number,
  revision: string,
): string {
  let json = "{";
  for (let i = 0; i < index.keys.length; i++) {
    json += index.quotedKeys[i] + (isGranted(index.keys[i]) ? "true," : "false,");
  }
  json += `"timestamp":${now},"revision":${JSON.stringify(revision)}}`;
  return encodeURIComponent(json);
}

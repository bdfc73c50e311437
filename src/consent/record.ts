/**
 * The worker's own consent record: the one cookie a grant is ever read from. Pure apart from
 * Web Crypto (HMAC-SHA256 and random bytes); no clock (`now` is passed in); never throws on
 * input: a record that does not verify is "no choice".
 *
 * Why (see SECURITY.md, "Consent that only this tenant can grant"): tenants share the parent
 * domain opendatasoft.com, which is not a public suffix, so any sibling page can write a cookie
 * every tenant receives. Three locks, each against one attack:
 * - the `__Host-` prefix (RFC 6265bis §4.1.3): the browser accepts the cookie only from this
 *   very host, Secure, Path=/, without Domain. A sibling cannot write or shadow it (tossing);
 * - the value is bound to the tenant id and the policy revision under an HMAC-SHA256 with the
 *   worker secret CONSENT_SECRET: a valid record copied from another tenant, or from an older
 *   revision, or made up, does not verify (replay, forgery);
 * - a missing record is "no choice", never a grant: evicting it (flooding the parent domain's
 *   cookie quota) can only bring the banner back.
 *
 * Value (a cookie-value of RFC 6265 §4.1.1 cookie-octets):
 *   v1.<record id>.<decided at>.<granted>.<mac>
 * record id: 16 random bytes, base64url (22 characters); decided at: milliseconds since the
 * epoch, decimal; granted: the granted consent keys (`[a-z0-9_-]+`, validate.ts) joined by "~",
 * empty for a refusal; mac: base64url HMAC-SHA256 over the JSON array
 * ["consent-edge/v1", tenant id, policy revision, record id, decided at, granted].
 */
import type { CompiledPolicy } from "../policy/types";
import { newRecordId, RECORD_ID } from "../proof/record-id";
import { indexConsentPolicy, MAX_TIME } from "./consent-index";
import type { Consent } from "./types";

/** The record over https: host-only by construction (`__Host-`), HttpOnly (only the worker reads it). */
export const RECORD_COOKIE = "__Host-consent-edge";
/**
 * The record over plain http (local development, `npm start`, the http tests), which cannot
 * carry Secure cookies. Never read over https: any sibling could write it there.
 */
export const RECORD_COOKIE_HTTP = "consent-edge-http";
/** How long a record lives, in seconds (180 days, as cookies_preferences); older records are no choice. */
export const RECORD_MAX_AGE = 15552000;
/** Secrets shorter than this are treated as missing. */
export const MIN_SECRET_LENGTH = 16;

const VERSION = "v1";
const MAC_LABEL = "consent-edge/v1";
const DECIDED_AT = /^[1-9][0-9]{0,15}$/;
const KEY = /^[a-z0-9_-]+$/;
// 32 bytes in 43 characters leave 2 unused bits in the last one: only the canonical (zero-bit)
// spelling is accepted, so a value verifies only in the exact form the worker wrote.
const MAC = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;

/** The record's cookie name for a request over https (`secure`) or plain http. */
export function recordCookieName(secure: boolean): string {
  return secure ? RECORD_COOKIE : RECORD_COOKIE_HTTP;
}

/**
 * True for a name that claims to be the worker's record under any case or prefix
 * (`__host-consent-edge`, `__Secure-Consent-Edge`, `consent-edge-http`…): the origin may never set one.
 */
export function isRecordCookieName(name: string): boolean {
  let n = name.toLowerCase();
  if (n.startsWith("__host-")) n = n.slice(7);
  else if (n.startsWith("__secure-")) n = n.slice(9);
  return n === "consent-edge" || n === RECORD_COOKIE_HTTP;
}

/** One decision of the visitor, as the POST /cookies handler makes it and the record carries it. */
export interface ConsentRecord {
  /** 16 random bytes, base64url: the reference shown to the visitor and stored by the operator. */
  recordId: string;
  /** Milliseconds since the epoch. */
  decidedAt: number;
  granted: ReadonlySet<string>;
}

function base64url(bytes: Uint8Array): string {
  let bin = "";
  for (let i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64url(text: string): Uint8Array<ArrayBuffer> {
  const bin = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export { newRecordId };

/** A new record of `granted` (the policy's grantable keys only) decided at `now`, with a fresh id. */
export function newConsentRecord(granted: Iterable<string>, now: number): ConsentRecord {
  return { recordId: newRecordId(), decidedAt: now, granted: new Set(granted) };
}

// --- the secret ------------------------------------------------------------------------------

let keyFor: { secret: string; key: Promise<CryptoKey> } | undefined;
let warned = false;

/**
 * The HMAC key for `secret`, imported once per isolate; undefined (and one log line per
 * isolate) when the secret is missing or shorter than MIN_SECRET_LENGTH: then no record is
 * trusted and none is written (fail closed).
 */
export function consentKey(secret: string | undefined, log: (line: string) => void = console.error): Promise<CryptoKey> | undefined {
  if (typeof secret !== "string" || secret.length < MIN_SECRET_LENGTH) {
    if (!warned) {
      warned = true;
      log(
        JSON.stringify({
          msg: "consent-edge: CONSENT_SECRET is missing or too short; no consent is trusted or recorded (run `wrangler secret put CONSENT_SECRET`)",
        }),
      );
    }
    return undefined;
  }
  if (keyFor?.secret !== secret) {
    const key = crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
      "sign",
      "verify",
    ]);
    // Once imported, readConsentRecord can find a cached value without awaiting the key.
    key.then(
      (k) => settledKeys.set(key, k),
      () => {},
    );
    keyFor = { secret, key };
    verified.clear();
  }
  return keyFor.key;
}

/** The keys consentKey imported, by their promise, once settled. */
const settledKeys = new WeakMap<Promise<CryptoKey>, CryptoKey>();

// --- sign and verify -------------------------------------------------------------------------

function macInput(policy: CompiledPolicy, recordId: string, decidedAt: string, granted: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(JSON.stringify([MAC_LABEL, policy.id, policy.revision, recordId, decidedAt, granted])) as Uint8Array<ArrayBuffer>;
}

/** The record's cookie value for `policy` (binds the tenant id and the revision). Throws on programmer error only. */
export async function signConsentRecord(record: ConsentRecord, policy: CompiledPolicy, key: CryptoKey): Promise<string> {
  if (!RECORD_ID.test(record.recordId)) throw new TypeError("signConsentRecord: recordId must be 16 bytes, base64url");
  if (!Number.isInteger(record.decidedAt) || record.decidedAt <= 0 || record.decidedAt > MAX_TIME) {
    throw new RangeError(`signConsentRecord: decidedAt must be a time in milliseconds, got ${record.decidedAt}`);
  }
  const index = indexConsentPolicy(policy);
  // Policy order, grantable keys only: one spelling per decision.
  const granted = index.keys.filter((k) => record.granted.has(k)).join("~");
  const decidedAt = String(record.decidedAt);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, macInput(policy, record.recordId, decidedAt, granted)));
  return `${VERSION}.${record.recordId}.${decidedAt}.${granted}.${base64url(mac)}`;
}

/** A value that verified: under which tenant, revision and key, and what it grants. */
interface Verified {
  tenant: string;
  revision: string;
  key: CryptoKey;
  consent: Consent;
}

/**
 * Verified values, per isolate: verifying costs an HMAC, a hit costs a Map lookup by the value
 * itself. A hit counts only for the tenant, revision and key it was verified with. Bounded,
 * oldest out first.
 */
const verified = new Map<string, Verified>();
export const VERIFIED_CACHE_SIZE = 1024;

function cachedConsent(value: string, policy: CompiledPolicy, key: CryptoKey): Consent | undefined {
  const hit = verified.get(value);
  return hit !== undefined && hit.key === key && hit.tenant === policy.id && hit.revision === policy.revision ? hit.consent : undefined;
}

function fresh(consent: Consent, now: number): Consent | undefined {
  return now - consent.decidedAt! > RECORD_MAX_AGE * 1000 ? undefined : consent;
}

/**
 * The consent a record value stands for under `policy`, or undefined when it does not verify
 * (wrong shape, other tenant, other revision, other secret, forged) or is older than
 * RECORD_MAX_AGE at `now`.
 */
export async function verifyConsentRecord(value: string, policy: CompiledPolicy, key: CryptoKey, now: number): Promise<Consent | undefined> {
  let consent = cachedConsent(value, policy, key);
  if (consent === undefined) {
    consent = await verifyUncached(value, policy, key);
    if (consent === undefined) return undefined;
    verified.delete(value); // another tenant's or key's entry for the same text: replaced, and now the newest
    if (verified.size >= VERIFIED_CACHE_SIZE) verified.delete(verified.keys().next().value!);
    verified.set(value, { tenant: policy.id, revision: policy.revision, key, consent });
  }
  return fresh(consent, now);
}

async function verifyUncached(value: string, policy: CompiledPolicy, key: CryptoKey): Promise<Consent | undefined> {
  if (value.length > 512) return undefined;
  const parts = value.split(".");
  if (parts.length !== 5 || parts[0] !== VERSION) return undefined;
  const [, recordId, decidedAtText, grantedText, macText] = parts;
  if (!RECORD_ID.test(recordId) || !DECIDED_AT.test(decidedAtText) || !MAC.test(macText)) return undefined;
  const decidedAt = Number(decidedAtText);
  if (decidedAt > MAX_TIME) return undefined;
  const keys = grantedText === "" ? [] : grantedText.split("~");
  if (!keys.every((k) => KEY.test(k))) return undefined;
  let ok: boolean;
  try {
    ok = await crypto.subtle.verify("HMAC", key, fromBase64url(macText), macInput(policy, recordId, decidedAtText, grantedText));
  } catch {
    return undefined;
  }
  if (!ok) return undefined;
  let index;
  try {
    index = indexConsentPolicy(policy);
  } catch {
    return undefined;
  }
  const grantable = new Set(index.keys);
  const granted = new Set(keys.filter((k) => grantable.has(k)));
  return Object.freeze({ explicit: true, source: "cookie", granted, recordId, decidedAt }) as Consent;
}

/**
 * The Set-Cookie line for a record: over https `__Host-consent-edge=…; Path=/; Secure; HttpOnly;
 * SameSite=Lax` (no Domain: host-only), over http the fallback name without Secure.
 */
export function recordSetCookie(value: string, opts: { secure: boolean; now: number }): string {
  const expires = new Date(opts.now + RECORD_MAX_AGE * 1000).toUTCString();
  return (
    `${recordCookieName(opts.secure)}=${value}; Path=/; Max-Age=${RECORD_MAX_AGE}; Expires=${expires}; HttpOnly; SameSite=Lax` +
    (opts.secure ? "; Secure" : "")
  );
}

/**
 * The visitor's consent from the record values the request carried (under the name for its
 * scheme): exactly one distinct value that verifies, else "no choice" (`noChoice`).
 * Without a key (no secret) nothing is trusted.
 */
export async function readConsentRecord(
  values: readonly string[],
  policy: CompiledPolicy,
  key: Promise<CryptoKey> | undefined,
  noChoice: Consent,
  now: number,
): Promise<Consent> {
  if (values.length === 0 || key === undefined) return noChoice;
  const value = values[0];
  for (let i = 1; i < values.length; i++) if (values[i] !== value) return noChoice;
  // A value this isolate has verified under this very key: no await (each costs a microtask turn).
  const settled = settledKeys.get(key);
  const hit = settled === undefined ? undefined : cachedConsent(value, policy, settled);
  if (hit !== undefined) return fresh(hit, now) ?? noChoice;
  return (await verifyConsentRecord(value, policy, await key, now)) ?? noChoice;
}

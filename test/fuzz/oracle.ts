/**
 * An independent oracle for property tests: what a browser does with a Set-Cookie line, written
 * step by step from RFC 6265bis (draft-ietf-httpbis-rfc6265bis) section 5.6 "The Set-Cookie Header
 * Field" and the storage rules of section 5.7 that depend on the line alone. It deliberately shares
 * no code with src/cookies: it is written for clarity (string splitting, TextEncoder for octets),
 * not speed. Pure; no I/O.
 */
import type { CompiledPolicy, ServiceDeclaration } from "../../src/policy/types";

const encoder = new TextEncoder();

/** Octets on the wire: the runtime sends header strings as UTF-8 (a lone surrogate becomes U+FFFD). */
export function octets(s: string): number {
  return encoder.encode(s).length;
}

/** 5.6 step 1: CTL characters excluding HTAB, i.e. %x00-08 / %x0A-1F / %x7F. */
function hasForbiddenControl(s: string): boolean {
  return /[\x00-\x08\x0A-\x1F\x7F]/.test(s);
}

/** WSP = SP / HTAB (RFC 5234); only these are trimmed. */
function trimWsp(s: string): string {
  return s.replace(/^[ \t]+/, "").replace(/[ \t]+$/, "");
}

export interface OracleAttributes {
  expires?: string;
  maxAge?: string;
  domain?: string;
  /** undefined: the default path (no Path, or one not starting with "/"). */
  path?: string;
  secure: boolean;
  httpOnly: boolean;
  sameSite?: "Strict" | "Lax" | "None" | "Default";
}

export interface OracleCookie {
  name: string;
  value: string;
  attributes: OracleAttributes;
}

/**
 * 5.6: parses a set-cookie-string; null when the user agent ignores it entirely. The returned
 * name may be "" (a nameless cookie, step 3).
 */
export function parseSetCookieLine(line: string): OracleCookie | null {
  // Step 1.
  if (hasForbiddenControl(line)) return null;
  // Step 2: the name-value-pair runs up to the first ";"; the rest are unparsed attributes.
  const semi = line.indexOf(";");
  const nameValuePair = semi === -1 ? line : line.substring(0, semi);
  let unparsed = semi === -1 ? "" : line.substring(semi);
  // Step 3: no "=" means an empty name and the whole pair as the value.
  let name: string;
  let value: string;
  const eq = nameValuePair.indexOf("=");
  if (eq === -1) {
    name = "";
    value = nameValuePair;
  } else {
    name = nameValuePair.substring(0, eq);
    value = nameValuePair.substring(eq + 1);
  }
  // Step 4.
  name = trimWsp(name);
  value = trimWsp(value);
  // Step 5: more than 4096 octets of name and value together.
  if (octets(name) + octets(value) > 4096) return null;

  // 5.6, the unparsed-attributes loop: each cookie-av up to the next ";".
  const attributes: OracleAttributes = { secure: false, httpOnly: false };
  while (unparsed !== "") {
    unparsed = unparsed.substring(1); // the leading ";"
    const next = unparsed.indexOf(";");
    const cookieAv = next === -1 ? unparsed : unparsed.substring(0, next);
    unparsed = next === -1 ? "" : unparsed.substring(next);
    const avEq = cookieAv.indexOf("=");
    const attrName = trimWsp(avEq === -1 ? cookieAv : cookieAv.substring(0, avEq));
    const attrValue = trimWsp(avEq === -1 ? "" : cookieAv.substring(avEq + 1));
    if (octets(attrValue) > 1024) continue; // ignored cookie-av
    processAttribute(attributes, attrName.toLowerCase(), attrValue);
  }
  return { name, value, attributes };
}

/** 5.6.1 to 5.6.7, as far as they decide whether and under which name a cookie is stored. */
function processAttribute(attrs: OracleAttributes, name: string, value: string): void {
  if (name === "expires") {
    attrs.expires = value; // a cookie-date or not: it decides when, not whether or under which name
  } else if (name === "max-age") {
    if (/^-?[0-9]+$/.test(value)) attrs.maxAge = value; // otherwise ignored
  } else if (name === "domain") {
    if (value === "") return; // SHOULD ignore an empty Domain
    attrs.domain = (value.startsWith(".") ? value.substring(1) : value).toLowerCase();
  } else if (name === "path") {
    attrs.path = value.startsWith("/") ? value : undefined;
  } else if (name === "secure") {
    attrs.secure = true;
  } else if (name === "httponly") {
    attrs.httpOnly = true;
  } else if (name === "samesite") {
    const v = value.toLowerCase();
    attrs.sameSite = v === "none" ? "None" : v === "strict" ? "Strict" : v === "lax" ? "Lax" : "Default";
  }
}

function startsWithCi(s: string, prefix: string): boolean {
  return s.substring(0, prefix.length).toLowerCase() === prefix.toLowerCase();
}

/**
 * The name under which the line writes to the cookie store if any attributes let it (5.6, then the
 * 5.7 rules that look at the name and value only: both empty, and a nameless cookie whose value
 * starts with `__Secure-` or `__Host-`); null when the browser ignores the line whatever else holds.
 */
export function cookieNameOf(line: string): string | null {
  const cookie = parseSetCookieLine(line);
  if (cookie === null) return null;
  if (cookie.name === "" && cookie.value === "") return null;
  if (cookie.name === "" && (startsWithCi(cookie.value, "__Secure-") || startsWithCi(cookie.value, "__Host-"))) return null;
  return cookie.name;
}

export interface StoreContext {
  /** The request URL's host (lower-case). */
  host: string;
  /** The request came over a secure scheme. */
  secure: boolean;
}

/** "a.b.c" domain-matches "b.c" (5.1.3), for host names. */
function domainMatches(host: string, domain: string): boolean {
  return host === domain || host.endsWith("." + domain);
}

/**
 * The name the browser stores the line under for a response from `ctx`, or null when 5.7 makes it
 * ignore the line: the name-only rules above, then Domain (must domain-match the host and not be a
 * bare top-level label), Secure from a non-secure origin, SameSite=None without Secure, and the
 * `__Secure-` / `__Host-` name prefixes (case-insensitive).
 */
export function storedName(line: string, ctx: StoreContext): string | null {
  const name = cookieNameOf(line);
  if (name === null) return null;
  const { attributes: a } = parseSetCookieLine(line)!;
  if (a.domain !== undefined) {
    if (!a.domain.includes(".") && a.domain !== ctx.host) return null; // a public suffix
    if (!domainMatches(ctx.host, a.domain)) return null;
  }
  if (a.secure && !ctx.secure) return null;
  if (a.sameSite === "None" && !a.secure) return null;
  if (startsWithCi(name, "__Secure-") && !a.secure) return null;
  if (startsWithCi(name, "__Host-") && !(a.secure && a.domain === undefined && a.path === "/")) return null;
  return name;
}

/**
 * The service that declares a cookie name in the policy data (not through `policy.classify`):
 * an exact name first, else the longest prefix the name extends (a bare prefix is no match).
 */
export function declaringService(policy: CompiledPolicy, name: string): ServiceDeclaration | undefined {
  if (name === "") return undefined;
  let best: { service: ServiceDeclaration; length: number } | undefined;
  for (const service of policy.services) {
    for (const cookie of service.cookies) {
      if (!cookie.prefix && cookie.name === name) return service;
    }
  }
  for (const service of policy.services) {
    for (const cookie of service.cookies) {
      if (cookie.prefix && name.length > cookie.name.length && name.startsWith(cookie.name)) {
        if (!best || cookie.name.length > best.length) best = { service, length: cookie.name.length };
      }
    }
  }
  return best?.service;
}

/**
 * Consent cookies only the worker writes (SECURITY.md): cookies_preferences, and the worker's
 * record under any letter case and either prefix. The origin may never set them.
 */
export function isConsentCookie(name: string): boolean {
  if (name === "cookies_preferences") return true;
  const bare = name.toLowerCase().replace(/^(__host-|__secure-)/, "");
  return bare === "consent-edge" || bare === "consent-edge-http";
}

/** The name is declared, not a consent cookie, and may be stored under `granted` (necessary services need no consent). */
export function mayStore(policy: CompiledPolicy, name: string, granted: ReadonlySet<string>): boolean {
  if (isConsentCookie(name)) return false;
  return mayForward(policy, name, granted);
}

/** The worker's own records, by exact name: never forwarded to the origin, never refused. */
export function isRecordPair(name: string): boolean {
  return name === "__Host-consent-edge" || name === "consent-edge-http";
}

/** A request pair of this name may reach the origin under `granted`: declared and allowed, not a record. */
export function mayForward(policy: CompiledPolicy, name: string, granted: ReadonlySet<string>): boolean {
  if (isRecordPair(name)) return false;
  const service = declaringService(policy, name);
  return service !== undefined && (service.category === "necessary" || granted.has(service.consentKey));
}

/**
 * How an origin server reads one pair of a Cookie request header (split on ";", first "=" separates
 * name and value, spaces and tabs trimmed; a pair without "=" has an empty name).
 */
export function requestPairName(pair: string): string {
  const eq = pair.indexOf("=");
  return eq === -1 ? "" : trimWsp(pair.substring(0, eq));
}

/**
 * The non-empty (after trimming) pairs of a Cookie header, trimmed, in order. Pairs end at ";",
 * and at a "," that starts another `name=` (workerd joins repeated Cookie fields with ", ").
 */
export function requestPairs(header: string): string[] {
  return header
    .split(/;|,(?=[ \t]*[!#$%&'*+\-.^_`|~0-9A-Za-z]+[ \t]*=)/)
    .map(trimWsp)
    .filter((p) => p !== "");
}

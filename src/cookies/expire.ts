/**
 * Set-Cookie lines that make a browser delete cookies the visitor has not consented to.
 * Pure; no I/O. A deletion only takes when name, path and domain match the stored cookie
 * (RFC 6265bis 5.7, step "replace an old cookie"), so one line goes out per declared
 * path × domain; a cookie stored with Secure can only be overwritten by a Secure line
 * (6265bis 5.7, "Leave Secure Cookies Alone"), which needs https.
 */
import type { CompiledPolicy } from "../policy/types";
import type { RefusedCookie } from "./decide";

/** Upper bound on the lines one response carries, whatever the request held. */
export const MAX_EXPIRY_LINES = 64;

const EXPIRED = "=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=";

/** RFC 6265 4.1.1 cookie-name = token (RFC 2616 2.2): visible ASCII minus separators. */
const TOKEN = (() => {
  const table = new Uint8Array(128);
  for (let c = 0x21; c < 0x7f; c++) table[c] = 1;
  for (const ch of '()<>@,;:\\"/[]?={} ') table[ch.charCodeAt(0)] = 0;
  return table;
})();

/** True when `name` may be written into a header line as a cookie name (header-injection defence). */
function isToken(name: string): boolean {
  if (name.length === 0) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c >= 128 || TOKEN[c] === 0) return false;
  }
  return true;
}

/** A Path we can write verbatim: absolute, visible ASCII, no ";" (6265bis path-value). */
function isSafePath(path: string): boolean {
  if (path.charCodeAt(0) !== 0x2f) return false;
  for (let i = 1; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f || c === 0x3b) return false;
  }
  return true;
}

/** A DNS name of letters, digits, "-" and "." (no leading dot), lower-cased. */
function normalizeDomain(domain: string): string | null {
  const d = (domain.charCodeAt(0) === 0x2e ? domain.slice(1) : domain).toLowerCase();
  if (d.length === 0 || d.length > 253) return null;
  for (let i = 0; i < d.length; i++) {
    const c = d.charCodeAt(i);
    const ok = (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2e;
    if (!ok) return null;
  }
  return d;
}

function isIpAddress(host: string): boolean {
  if (host.includes(":")) return true; // IPv6 (bracketed or not)
  for (let i = 0; i < host.length; i++) {
    const c = host.charCodeAt(i);
    if (c !== 0x2e && (c < 0x30 || c > 0x39)) return false;
  }
  return true;
}

/** RFC 6265bis 5.1.3 domain-match; `host` and `domain` are lower-case. */
function domainMatches(host: string, domain: string): boolean {
  if (host === domain) return true;
  return (
    host.length > domain.length &&
    host.endsWith(domain) &&
    host.charCodeAt(host.length - domain.length - 1) === 0x2e &&
    !isIpAddress(host)
  );
}

function startsWithIgnoreCase(name: string, prefix: string): boolean {
  return name.length >= prefix.length && name.slice(0, prefix.length).toLowerCase() === prefix;
}

/**
 * One deletion line per declared path × domain of each refused cookie (host-only "/" for
 * undeclared ones unless `policy.expireUnknown === false`), plus the parent domain's at "/" for
 * every one of them (when the host is under the policy's parent domain), deduplicated, at most
 * `MAX_EXPIRY_LINES`. Declared cookies come first, whatever their place in the request: a
 * flood of unknown cookies can use only what is left of the cap, never starve a refused
 * tracker cookie the policy names. `ctx.host` is the request's hostname (no port);
 * `ctx.secure` is https. Cookie-name prefixes are honoured case-insensitively, as current
 * browsers check them (6265bis 4.1.3): `__Host-` gets exactly `Path=/; Secure` host-only,
 * `__Secure-` needs Secure.
 */
export function expiryLines(
  refused: readonly RefusedCookie[],
  policy: CompiledPolicy,
  ctx: { secure: boolean; host: string },
): string[] {
  const out: string[] = [];
  if (refused.length === 0) return out;
  const seen = new Set<string>();
  const host = ctx.host.toLowerCase();
  const tail = ctx.secure ? "; Secure; SameSite=Lax" : "; SameSite=Lax";
  const parentName = normalizeDomain(policy.parentDomainFor(host) ?? "");
  const parent = parentName !== null && domainMatches(host, parentName) ? parentName : null;

  const add = (name: string, path: string, domain: string | null): boolean => {
    const line = `${name}${EXPIRED}${path}${domain === null ? "" : `; Domain=${domain}`}${tail}`;
    if (!seen.has(line)) {
      seen.add(line);
      out.push(line);
    }
    return out.length < MAX_EXPIRY_LINES;
  };

  /** Adds the lines of one refused cookie; false once the cap is reached. */
  const expire = (r: RefusedCookie): boolean => {
    const name = r.name;
    if (!isToken(name)) return true;
    const c = r.classification;
    if (!c && policy.expireUnknown === false) return true;
    if (startsWithIgnoreCase(name, "__host-")) return !ctx.secure || add(name, "/", null);
    if (!ctx.secure && (c?.cookie.secure || startsWithIgnoreCase(name, "__secure-"))) return true;
    // Also where a sibling under the parent domain may have written it (and keeps sending it back
    // to every tenant: a tracker's identifier, or a cookie bomb): the Domain= variant at Path=/.
    if (!c) return add(name, "/", null) && (parent === null || add(name, "/", parent));
    for (const path of c.cookie.paths ?? ["/"]) {
      if (!isSafePath(path)) continue;
      for (const declared of c.cookie.domains ?? ["host"]) {
        let domain: string | null = null;
        if (declared !== "host") {
          // "parent" is per host: a custom domain's parent is not the platform's (policy/compile.ts).
          domain = normalizeDomain(declared === "parent" ? (policy.parentDomainFor(host) ?? "") : declared);
          if (domain === null || !domainMatches(host, domain)) continue;
        }
        if (!add(name, path, domain)) return false;
      }
    }
    return parent === null || add(name, "/", parent);
  };

  let unknown = false;
  for (const r of refused) {
    if (!r.classification) unknown = true;
    else if (!expire(r)) return out;
  }
  if (unknown) for (const r of refused) if (!r.classification && !expire(r)) return out;
  return out;
}

/**
 * Lines that delete `name` at Path=/ host-only (when `hostOnly`) and on the policy's parent
 * domain (when the host is under it): where a sibling tenant may have written it.
 */
export function expireHostAndParent(
  name: string,
  policy: CompiledPolicy,
  ctx: { secure: boolean; host: string },
  hostOnly: boolean,
): string[] {
  const tail = ctx.secure ? "; Secure; SameSite=Lax" : "; SameSite=Lax";
  const out: string[] = [];
  const parent = normalizeDomain(policy.parentDomainFor(ctx.host.toLowerCase()) ?? "");
  if (parent !== null && domainMatches(ctx.host.toLowerCase(), parent)) out.push(`${name}${EXPIRED}/; Domain=${parent}${tail}`);
  if (hostOnly) out.push(`${name}${EXPIRED}/${tail}`);
  return out;
}

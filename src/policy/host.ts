/**
 * Host-name normalization for tenant lookup and policy validation. Pure; no I/O.
 * Accepts the `Host` header syntax of RFC 9110 §7.2 (uri-host [":" port], RFC 3986 §3.2.2),
 * restricted to DNS names (RFC 1123 labels) and bracketed IPv6 literals.
 */

// One pass: a bracketed IPv6 literal or a name, then an optional port (RFC 3986 allows an empty one).
const HOST_RE = /^(?:\[([0-9A-Fa-f:.]+)\]|([0-9A-Za-z_.-]+))(?::([0-9]{0,5}))?$/;
// RFC 1123 label: letters, digits, hyphens, not at either end; `_` tolerated as real DNS names use it.
const LABEL_RE = /^[0-9a-z_](?:[0-9a-z_-]{0,61}[0-9a-z_])?$/;

/**
 * Lower-cases, strips a port and one trailing dot; keeps IPv6 as `[::1]`.
 * Returns null for anything that is not a syntactically valid host name.
 */
export function normalizeHost(host: string | null | undefined): string | null {
  if (!host || host.length > 260) return null;
  const m = HOST_RE.exec(host);
  if (!m) return null;
  if (m[3] && Number(m[3]) > 65535) return null;
  if (m[1] !== undefined) {
    // Needs at least two colons ("::1", "fe80::1"); the characters were checked above.
    return m[1].indexOf(":") !== m[1].lastIndexOf(":") ? `[${m[1].toLowerCase()}]` : null;
  }
  let name = m[2].toLowerCase();
  if (name.endsWith(".")) name = name.slice(0, -1);
  if (name.length === 0 || name.length > 253) return null;
  for (const label of name.split(".")) if (!LABEL_RE.test(label)) return null;
  return name;
}

/** True when `host` is `domain` or a subdomain of it (RFC 6265bis § 5.1.3 domain-match, names only). */
export function isUnderDomain(host: string, domain: string): boolean {
  return host === domain || (host.length > domain.length && host.endsWith(domain) && host.charCodeAt(host.length - domain.length - 1) === 0x2e);
}

/**
 * The parent domain a host's cookies are most likely set on, without a public-suffix list:
 * the host minus its first label when that leaves two labels or more (`maia.opendatasoft.com` →
 * `opendatasoft.com`, `data.example.org` → `example.org`), the host itself when it has two
 * (`example.org`), none for one-label names and IP literals. Deeper hosts whose cookies sit
 * higher up (`a.b.example.org` on `example.org`) or hosts under a multi-label public suffix
 * declare theirs (`parentDomains`).
 */
/**
 * The domain `"parent"` stands for on `host`: declared in `parentDomains`, else `parentDomain`
 * when the host is under it, else derived from the host.
 */
export function resolveParentDomain(host: string, policy: { parentDomain?: string; parentDomains?: Record<string, string> }): string | undefined {
  const declared = policy.parentDomains && Object.hasOwn(policy.parentDomains, host) ? policy.parentDomains[host] : undefined;
  if (declared !== undefined) return declared;
  if (policy.parentDomain !== undefined && isUnderDomain(host, policy.parentDomain)) return policy.parentDomain;
  return derivedParentDomain(host);
}

export function derivedParentDomain(host: string): string | undefined {
  if (host.startsWith("[") || /^[0-9.]+$/.test(host)) return undefined;
  const dot = host.indexOf(".");
  if (dot < 0) return undefined;
  const rest = host.slice(dot + 1);
  return rest.includes(".") ? rest : host;
}

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

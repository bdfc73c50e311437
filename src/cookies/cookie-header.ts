/**
 * Splits a request's Cookie header into name/value pairs, keeping each pair's text as sent.
 * Pure; no I/O; never throws. Lenient like origin servers: pairs are split on ";" and
 * trimmed of spaces and tabs (browsers send "; "-joined pairs, RFC 6265bis 4.2.1).
 */

/** Pairs beyond this many are not handled (not forwarded, not reported): a bound on per-request work. */
export const MAX_REQUEST_COOKIES = 300;

export interface RequestCookie {
  /** Trimmed text before the first "="; "" when the pair has no "=". */
  name: string;
  /** Trimmed text after the first "="; the whole pair when it has no "=". */
  value: string;
  /** The trimmed pair exactly as the browser sent it. */
  raw: string;
}

function isWhitespace(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

/** Every non-empty pair of the header, in order, at most `MAX_REQUEST_COOKIES`. */
export function parseCookieHeader(header: string | null | undefined): RequestCookie[] {
  const out: RequestCookie[] = [];
  if (!header) return out;
  const len = header.length;
  let start = 0;
  while (start <= len && out.length < MAX_REQUEST_COOKIES) {
    let end = header.indexOf(";", start);
    if (end < 0) end = len;
    let s = start;
    let e = end;
    while (s < e && isWhitespace(header.charCodeAt(s))) s++;
    while (e > s && isWhitespace(header.charCodeAt(e - 1))) e--;
    if (s < e) {
      const raw = header.slice(s, e);
      const eq = raw.indexOf("=");
      if (eq < 0) {
        out.push({ name: "", value: raw, raw });
      } else {
        let ne = eq;
        while (ne > 0 && isWhitespace(raw.charCodeAt(ne - 1))) ne--;
        let vs = eq + 1;
        while (vs < raw.length && isWhitespace(raw.charCodeAt(vs))) vs++;
        // The pair is already trimmed, so the name starts at 0 and the value ends at raw.length.
        out.push({ name: raw.slice(0, ne), value: raw.slice(vs), raw });
      }
    }
    start = end + 1;
  }
  return out;
}

/** All values sent under `name`, in header order (browsers may send several). */
export function cookieValues(cookies: readonly RequestCookie[], name: string): string[] {
  const out: string[] = [];
  for (const c of cookies) if (c.name === name) out.push(c.value);
  return out;
}

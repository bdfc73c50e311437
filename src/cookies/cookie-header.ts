/**
 * Splits a request's Cookie header into name/value pairs, keeping each pair's text as sent.
 * Pure; no I/O; never throws. Lenient like origin servers: pairs are split on ";" and
 * trimmed of spaces and tabs (browsers send "; "-joined pairs, RFC 6265bis 4.2.1).
 *
 * Several Cookie fields are one cookie list (RFC 9113 §8.2.3 joins HTTP/2 "crumbs" with "; "),
 * but workerd's Headers joins repeated fields with ", " ("a=1, _ga=2"). So a comma that is
 * followed by `token=` also ends a pair: otherwise `_ga=2` would ride to the origin inside the
 * value of `a`. RFC 6265 cookie-values hold no comma, so no well-formed pair is cut.
 */

/** Pairs beyond this many are not handled (not forwarded, not reported): a bound on per-request work. */
export const MAX_REQUEST_COOKIES = 300;

/** Read-only: one parse may serve two readers of the same request (see `parseCookieHeader`). */
export interface RequestCookie {
  /** Trimmed text before the first "="; "" when the pair has no "=". */
  readonly name: string;
  /** Trimmed text after the first "="; the whole pair when it has no "=". */
  readonly value: string;
  /** The trimmed pair exactly as the browser sent it. */
  readonly raw: string;
}

function isWhitespace(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

/** RFC 9110 tchar. */
const TCHAR = (() => {
  const table = new Uint8Array(128);
  for (const ch of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") table[ch.charCodeAt(0)] = 1;
  return table;
})();

/** The first "," in header[from, to) that is followed by optional spaces, a token and "=" (a joined field); -1 if none. */
function pairComma(header: string, from: number, to: number): number {
  let comma = header.indexOf(",", from);
  while (comma >= 0 && comma < to) {
    let i = comma + 1;
    while (i < to && isWhitespace(header.charCodeAt(i))) i++;
    const nameStart = i;
    while (i < to) {
      const c = header.charCodeAt(i);
      if (c >= 128 || TCHAR[c] === 0) break;
      i++;
    }
    if (i > nameStart) {
      while (i < to && isWhitespace(header.charCodeAt(i))) i++;
      if (i < to && header.charCodeAt(i) === 0x3d) return comma;
    }
    comma = header.indexOf(",", comma + 1);
  }
  return -1;
}

/**
 * The last header parsed and its pairs, for one more reading of the same text. A request's
 * Cookie header is read twice: for its consent (request-state.ts) and for what the origin gets
 * (decide.ts). Taken on that second reading, so every request still parses its own header once.
 */
let lastHeader: string | undefined;
let lastPairs: RequestCookie[] | undefined;

/**
 * Every non-empty pair of the header, in order, at most `MAX_REQUEST_COOKIES`. The array is
 * frozen and its pairs are read-only: the next reading of the same header may be handed the
 * same array.
 */
export function parseCookieHeader(header: string | null | undefined): RequestCookie[] {
  if (!header) return [];
  if (header === lastHeader) {
    const pairs = lastPairs!;
    lastHeader = lastPairs = undefined;
    return pairs;
  }
  const pairs = Object.freeze(parsePairs(header)) as RequestCookie[];
  lastHeader = header;
  lastPairs = pairs;
  return pairs;
}

function parsePairs(header: string): RequestCookie[] {
  const out: RequestCookie[] = [];
  const len = header.length;
  const commas = header.includes(",");
  let start = 0;
  while (start <= len && out.length < MAX_REQUEST_COOKIES) {
    let end = header.indexOf(";", start);
    if (end < 0) end = len;
    if (commas) {
      const comma = pairComma(header, start, end);
      if (comma >= 0) end = comma;
    }
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

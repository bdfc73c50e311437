/**
 * Reads a Set-Cookie line the way a browser does (RFC 6265bis, section 5.6 "The Set-Cookie
 * Header Field" and 5.7 "Storage Model"). Pure; no I/O. `setCookieName` is on the per-response
 * path and scans each line once; `parseSetCookie` is for tests and tooling.
 */

/** Largest name + value a browser stores, in octets (6265bis 5.6, step 5). */
const MAX_NAME_VALUE_OCTETS = 4096;
/** Attribute values longer than this are ignored (6265bis 5.6, unparsed-attributes step). */
const MAX_ATTRIBUTE_VALUE_OCTETS = 1024;

const SEMICOLON = 0x3b;
const EQUALS = 0x3d;
const SPACE = 0x20;
const TAB = 0x09;

/**
 * A set-cookie-string holding a CTL other than HTAB (%x00-08 / %x0A-1F / %x7F) is ignored; this
 * matches the lines that hold none (every other UTF-16 code unit, lone surrogates included).
 * Anchored: one match attempt that runs to the end, about half the cost of searching for a CTL
 * from every position (`/[\x00-\x08\x0a-\x1f\x7f]/`) in V8, measured in Node 24.
 */
const NO_REJECTED_CONTROL = /^[\t\x20-\x7e\x80-\uffff]*$/;

function isWhitespace(code: number): boolean {
  return code === SPACE || code === TAB;
}

/** UTF-8 octets of `s[start, end)`; strings are UTF-16 here, the limits are in octets. */
function octetLength(s: string, start: number, end: number): number {
  let n = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < end && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4; // a surrogate pair is one 4-octet code point
      i++;
    } else n += 3; // includes a lone surrogate, sent as U+FFFD
  }
  return n;
}

function exceedsOctets(s: string, start: number, end: number, limit: number): boolean {
  const units = end - start;
  if (units > limit) return true; // every code unit is at least one octet
  if (units * 3 <= limit) return false; // and at most three
  return octetLength(s, start, end) > limit;
}

/** `__Secure-` / `__Host-`, compared case-insensitively (6265bis 5.7, nameless cookies). */
function startsWithSecurityPrefix(s: string, start: number, end: number): boolean {
  const len = end - start;
  return (
    (len >= 9 && s.slice(start, start + 9).toLowerCase() === "__secure-") ||
    (len >= 7 && s.slice(start, start + 7).toLowerCase() === "__host-")
  );
}

/** The joined lines `noRejectedControls` checks at once, at most this many UTF-8 octets; longer ones are checked line by line. */
const SCRATCH_OCTETS = 32768;
let scratch: Uint8Array | undefined;
let scratchWords: Int32Array | undefined;
let encoder: TextEncoder | undefined;

/**
 * True when no line holds a CTL other than HTAB: one check for a whole response. False when
 * one may (any octet below 0x20, HTAB included, or 0x7F) or the lines are too long to check at
 * once; then check each line (`setCookieName`). The lines are joined by spaces and encoded as
 * UTF-8, where a CTL is its own octet and every other code point is octets of 0x20 and above
 * (a lone surrogate becomes U+FFFD); four octets are tested at once ("has a byte less than n",
 * exact for n <= 0x80). In V8 (Node 24 and workerd) that costs about half the anchored match of
 * each line.
 */
export function noRejectedControls(lines: readonly string[]): boolean {
  let units = lines.length;
  for (let i = 0; i < lines.length; i++) units += lines[i].length;
  if (units > SCRATCH_OCTETS) return false;
  const joined = lines.length === 1 ? lines[0] : lines.join(" ");
  if (joined.includes("\x7f")) return false;
  if (scratch === undefined) {
    scratch = new Uint8Array(SCRATCH_OCTETS);
    scratchWords = new Int32Array(scratch.buffer);
    encoder = new TextEncoder();
  }
  const { read, written } = encoder!.encodeInto(joined, scratch);
  if (read !== joined.length) return false; // did not fit (multi-octet characters)
  const bytes = scratch;
  const words = scratchWords!;
  const whole = written >> 2;
  let below = 0;
  for (let i = 0; i < whole; i++) {
    const w = words[i];
    below |= (w - 0x20202020) & ~w;
  }
  below &= 0x80808080;
  for (let i = whole << 2; i < written; i++) if (bytes[i] < 0x20) below = 1;
  return below === 0;
}

/**
 * The cookie name a browser would store for this line, or null when it ignores the line.
 * "" is a nameless cookie (a pair without "="), which browsers do store.
 */
export function setCookieName(line: string): string | null {
  // Reject CTLs anywhere in the line (native scans: a hand loop over every code unit cost 5x more per line).
  return NO_REJECTED_CONTROL.test(line) ? clearedSetCookieName(line) : null;
}

/** `setCookieName` of a line already known to hold no rejected CTL (`noRejectedControls`). */
export function clearedSetCookieName(line: string): string | null {
  // The pair ends at the first ";", the name at its first "=".
  const len = line.length;
  let pairEnd = line.indexOf(";");
  if (pairEnd < 0) pairEnd = len;
  let eq = line.indexOf("=");
  if (eq >= pairEnd) eq = -1;

  // No "=": the name is empty and the whole pair is the value (a nameless cookie).
  let nameStart = 0;
  let nameEnd = eq < 0 ? 0 : eq;
  let valueStart = eq < 0 ? 0 : eq + 1;
  let valueEnd = pairEnd;
  while (nameStart < nameEnd && isWhitespace(line.charCodeAt(nameStart))) nameStart++;
  while (nameEnd > nameStart && isWhitespace(line.charCodeAt(nameEnd - 1))) nameEnd--;
  while (valueStart < valueEnd && isWhitespace(line.charCodeAt(valueStart))) valueStart++;
  while (valueEnd > valueStart && isWhitespace(line.charCodeAt(valueEnd - 1))) valueEnd--;

  const nameUnits = nameEnd - nameStart;
  const valueUnits = valueEnd - valueStart;
  if (nameUnits === 0 && valueUnits === 0) return null;
  const units = nameUnits + valueUnits;
  // Count octets only when the code-unit count cannot settle it (1 to 3 octets per unit).
  if (
    units * 3 > MAX_NAME_VALUE_OCTETS &&
    (units > MAX_NAME_VALUE_OCTETS ||
      octetLength(line, nameStart, nameEnd) + octetLength(line, valueStart, valueEnd) > MAX_NAME_VALUE_OCTETS)
  ) {
    return null;
  }
  if (nameUnits === 0) {
    return startsWithSecurityPrefix(line, valueStart, valueEnd) ? null : "";
  }
  return line.slice(nameStart, nameEnd);
}

/**
 * The cookie attributes as the browser records them (6265bis 5.6.1-5.6.7); the last valid
 * occurrence of each wins. `path` undefined means the default path (also when the last Path
 * did not start with "/"); `domain` is lower-cased without a leading "."; `sameSite` is
 * "Strict", "Lax", "None" or "Default" (any other value); `maxAge` is in seconds, 0 for zero
 * or negative ("expire now"); `expires` is the attribute's raw text (not checked as a cookie-date).
 */
export interface SetCookieAttributes {
  path?: string;
  domain?: string;
  secure: boolean;
  httpOnly: boolean;
  sameSite?: string;
  maxAge?: number;
  expires?: string;
}

function trimWhitespace(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && isWhitespace(s.charCodeAt(start))) start++;
  while (end > start && isWhitespace(s.charCodeAt(end - 1))) end--;
  return start === 0 && end === s.length ? s : s.slice(start, end);
}

function isAllDigits(s: string, from: number): boolean {
  if (from >= s.length) return false;
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

function applyAttribute(attrs: SetCookieAttributes, av: string): void {
  const eq = av.indexOf("=");
  const name = trimWhitespace(eq < 0 ? av : av.slice(0, eq)).toLowerCase();
  const value = eq < 0 ? "" : trimWhitespace(av.slice(eq + 1));
  if (exceedsOctets(value, 0, value.length, MAX_ATTRIBUTE_VALUE_OCTETS)) return;
  switch (name) {
    case "expires":
      if (value !== "") attrs.expires = value;
      return;
    case "max-age": {
      // 5.6.2: a DIGIT or "-" first, DIGITs after; otherwise the attribute is ignored.
      const first = value.charCodeAt(0);
      const negative = first === 0x2d;
      if (!(negative ? isAllDigits(value, 1) : isAllDigits(value, 0))) return;
      const n = Number(value);
      attrs.maxAge = n <= 0 ? 0 : n; // "-0", "-5" and "0" all mean "expire now"
      return;
    }
    case "domain": {
      if (value === "") return; // 5.6.3: the user agent SHOULD ignore an empty Domain
      attrs.domain = (value.charCodeAt(0) === 0x2e ? value.slice(1) : value).toLowerCase();
      return;
    }
    case "path":
      // 5.6.4: an empty or relative Path means the default path.
      if (value.charCodeAt(0) === 0x2f) attrs.path = value;
      else delete attrs.path;
      return;
    case "secure":
      attrs.secure = true;
      return;
    case "httponly":
      attrs.httpOnly = true;
      return;
    case "samesite": {
      const v = value.toLowerCase();
      attrs.sameSite = v === "strict" ? "Strict" : v === "lax" ? "Lax" : v === "none" ? "None" : "Default";
      return;
    }
  }
}

/** The full reading of a Set-Cookie line, or null when a browser would ignore it. */
export function parseSetCookie(
  line: string,
): { name: string; value: string; attributes: SetCookieAttributes } | null {
  const name = setCookieName(line);
  if (name === null) return null;
  const semi = line.indexOf(";");
  const pair = semi < 0 ? line : line.slice(0, semi);
  const eq = pair.indexOf("=");
  const value = trimWhitespace(eq < 0 ? pair : pair.slice(eq + 1));
  const attributes: SetCookieAttributes = { secure: false, httpOnly: false };
  if (semi >= 0) {
    // Attributes are split on ";" alone: the comma in "Expires=Wed, 21 Oct 2015 …" is plain text.
    for (const av of line.slice(semi + 1).split(";")) applyAttribute(attributes, av);
  }
  return { name, value, attributes };
}

/**
 * `line` without its Domain attributes when the domain the browser would use (the last non-empty
 * one, RFC 6265bis 5.6.3 and 5.7 step 5) covers `host` and is not one of `allowed` (lower-case,
 * no leading dot; undefined entries are ignored): the cookie is then stored host-only. A Domain
 * that does not cover `host` is left alone (the browser ignores such a line, and host-only would
 * store it), as is a line without one. Returns `line` itself when nothing changes.
 */
export function narrowDomain(line: string, host: string, allowed: ReadonlyArray<string | undefined>): string {
  const parsed = parseSetCookie(line);
  const domain = parsed?.attributes.domain;
  if (domain === undefined || allowed.includes(domain)) return line;
  const covers = host === domain || (host.endsWith(`.${domain}`) && !/^[\d.]+$|:/.test(host));
  if (!covers) return line;
  const semi = line.indexOf(";");
  const kept = line
    .slice(semi + 1)
    .split(";")
    .filter((av) => {
      const eq = av.indexOf("=");
      return trimWhitespace(eq < 0 ? av : av.slice(0, eq)).toLowerCase() !== "domain";
    });
  return line.slice(0, semi) + (kept.length ? ";" + kept.join(";") : "");
}

/**
 * fast-check generators for the property tests: Set-Cookie lines and Cookie headers as real
 * servers, browsers and attackers write them. Names come from the policy's data (declared names,
 * prefixes) and from near-misses of them; nothing here reads a cookie the way src/cookies does.
 */
import fc from "fast-check";
import type { CompiledPolicy } from "../../src/policy/types";

/** Characters that break parsers: separators, whitespace, non-ASCII, lone surrogates; CTLs apart. */
export const NASTY_CHARS = [
  ";", ",", "=", '"', "\\", " ", "\t", "\u00a0", "\u200b", "\u3000", "\ufeff", "é", "€", "😀", "\ud800", "\udc00",
  "_", "-", ".", "a", "S", "s",
];
/** CTLs (a line holding one of these, HTAB apart, is ignored by browsers). */
export const CONTROL_CHARS = ["\r", "\n", "\0", "\x01", "\x0b", "\x1f", "\x7f"];

const anyChar = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom(...NASTY_CHARS) },
  { weight: 1, arbitrary: fc.constantFrom(...CONTROL_CHARS) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 1 }) },
);

/** RFC 9110 tchar, the characters of a well-formed cookie name. */
const TCHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
export const token = (maxLength = 12) =>
  fc.string({ unit: fc.constantFrom(...TCHARS.split("")), minLength: 1, maxLength });

/** Whitespace a server might put around names and "=": mostly SP/HTAB, sometimes not WSP at all. */
export const ws = fc.oneof(
  { weight: 72, arbitrary: fc.constant("") },
  { weight: 36, arbitrary: fc.constantFrom(" ", "\t", "  ", " \t ", "\t\t") },
  { weight: 6, arbitrary: fc.constantFrom("\u00a0", "\u3000", "\u200b", "\ufeff") },
  { weight: 1, arbitrary: fc.constantFrom("\v", "\f", "\r\n ") },
);

export interface PolicyNames {
  exact: string[];
  prefixes: string[];
  necessary: string[];
}

export function policyNames(policy: CompiledPolicy): PolicyNames {
  const exact: string[] = [];
  const prefixes: string[] = [];
  const necessary: string[] = [];
  for (const s of policy.services) {
    for (const c of s.cookies) {
      (c.prefix ? prefixes : exact).push(c.name);
      if (s.category === "necessary" && !c.prefix) necessary.push(c.name);
    }
  }
  return { exact, prefixes, necessary };
}

const LOOKALIKES: Record<string, string> = { s: "ѕ", e: "е", o: "о", a: "а", i: "і", c: "с", _: "＿" };

/** A name that differs from `base` only a little: case, spaces, a security prefix, a lookalike. */
function nearMiss(base: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc
    .tuple(base, fc.nat(20), fc.nat(), anyChar, fc.constantFrom("__Host-", "__Secure-", "__host-", "__SECURE-", "__Http-", "__Host-Http-"))
    .map(([name, kind, at, ch, prefix]) => {
      const i = name.length === 0 ? 0 : at % name.length;
      switch (kind % 12) {
        case 0: return name.toUpperCase();
        case 1: return name.slice(0, i) + name.charAt(i).toUpperCase() + name.slice(i + 1);
        case 2: return name.slice(0, i) + " " + name.slice(i);
        case 3: return name.slice(0, i) + "\t" + name.slice(i);
        case 4: return prefix + name;
        case 5: return name + ch;
        case 6: return ch + name;
        case 7: return name.slice(0, i) + ch + name.slice(i);
        case 8: return name.slice(0, i) + (LOOKALIKES[name.charAt(i)] ?? name.charAt(i)) + name.slice(i + 1);
        case 9: return name.slice(0, i) + name.slice(i + 1);
        case 10: return `"${name}"`;
        default: return name + "\u200b";
      }
    });
}

/** Cookie names: declared, prefixed, near misses of declared ones, unknown tokens, garbage, empty. */
export function cookieName(names: PolicyNames): fc.Arbitrary<string> {
  const exact = fc.constantFrom(...names.exact);
  const prefixed = fc.tuple(fc.constantFrom(...names.prefixes), fc.oneof(fc.constant(""), token(10))).map(([p, s]) => p + s);
  const declared = fc.oneof(exact, prefixed, fc.constantFrom(...names.necessary));
  return fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...names.necessary) },
    { weight: 4, arbitrary: exact },
    { weight: 3, arbitrary: prefixed },
    { weight: 5, arbitrary: nearMiss(declared) },
    { weight: 2, arbitrary: token() },
    { weight: 2, arbitrary: fc.string({ unit: anyChar, maxLength: 12 }) },
    { weight: 1, arbitrary: fc.constant("") },
  );
}

const DATES = [
  "Wed, 21 Oct 2015 07:28:00 GMT",
  "Thu, 01 Jan 1970 00:00:00 GMT",
  "Thu, 01-Jan-1970 00:00:01 GMT",
  "Sunday, 06-Nov-94 08:49:37 GMT",
  "Sun Nov  6 08:49:37 1994",
  "Fri, 31 Dec 9999 23:59:59 GMT",
  "tomorrow",
  "",
];

/** Cookie values, including the 4096-octet boundary and 8 KB+ values. */
export const cookieValue: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.oneof(fc.constant(""), token(20)) },
  { weight: 2, arbitrary: token(20).map((v) => `"${v}"`) },
  { weight: 2, arbitrary: fc.constantFrom("a,b", "GA1.2.3, _ga=1", "a=b=c", '{"ga":true}', "%7B%22ga%22%3Atrue%7D", '"unterminated', "x\\y") },
  { weight: 2, arbitrary: fc.string({ unit: "grapheme", maxLength: 16 }) },
  { weight: 2, arbitrary: fc.string({ unit: anyChar, maxLength: 16 }) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.integer({ min: 4060, max: 4100 }), fc.constantFrom("", "é", "€", "😀", "éé", "\ud800"))
      .map(([n, tail]) => "x".repeat(n) + tail),
  },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 8192, max: 12000 }), fc.constantFrom("x", "é", "€")).map(([n, c]) => c.repeat(n)) },
);

/** One cookie-av as servers write it (known, unknown, malformed, oversized), without the ";". */
export const attribute: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom("Path=/", "path=/explore", "Path=", "Path=relative", " Path = / "),
  fc.constantFrom("Domain=.opendatasoft.com", "domain=maia.opendatasoft.com", "Domain=evil.example", "Domain=", "Domain=com", "Domain=.MAIA.opendatasoft.com"),
  fc.constantFrom("Secure", "secure", " SECURE ", "HttpOnly", "httponly", "Partitioned"),
  fc.constantFrom("SameSite=Lax", "SameSite=None", "samesite=strict", "SameSite=bogus", "SameSite"),
  fc.oneof(fc.integer({ min: -10, max: 400 * 86400 }).map(String), fc.constantFrom("", "abc", "1e3", "+5", " 5", "-")).map((v) => `Max-Age=${v}`),
  fc.oneof(fc.constantFrom(...DATES), fc.date({ noInvalidDate: true }).map((d) => d.toUTCString())).map((d) => `Expires=${d}`),
  fc.tuple(token(), fc.oneof(fc.constant(""), token())).map(([n, v]) => (v ? `${n}=${v}` : n)),
  fc.constantFrom("", " ", "Priority=High", "Version=1", "Comment=\"a;b\"", "Max-Age=1, _ga=1"),
  fc.integer({ min: 1000, max: 1100 }).map((n) => `Path=/${"p".repeat(n)}`),
  fc.string({ unit: anyChar, maxLength: 12 }),
);

function mutate(line: string, kind: number, at: number, ch: string, other: string): string {
  const i = line.length === 0 ? 0 : at % (line.length + 1);
  switch (kind) {
    case 0: return line.slice(0, i) + ch + line.slice(i); // a stray character
    case 1: return line.slice(0, i); // truncated
    case 2: return `${line}, ${other}`; // two cookies folded with a comma
    case 3: return `${line}\r\nSet-Cookie: ${other}`; // response splitting attempt
    case 4: return `${line}\n${other}`;
    default: return line;
  }
}

/** A Set-Cookie line: whitespace and "=" in odd places, attributes, and some whole-line damage. */
export function setCookieLine(names: PolicyNames): fc.Arbitrary<string> {
  const shaped = fc
    .record({
      lead: ws,
      name: cookieName(names),
      beforeEq: ws,
      hasEq: fc.oneof({ weight: 9, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
      afterEq: ws,
      value: cookieValue,
      trail: ws,
      attrs: fc.array(fc.tuple(ws, attribute), { maxLength: 6 }),
    })
    .map(({ lead, name, beforeEq, hasEq, afterEq, value, trail, attrs }) => {
      const pair = hasEq ? `${lead}${name}${beforeEq}=${afterEq}${value}${trail}` : `${lead}${name}${trail}`;
      return pair + attrs.map(([w, a]) => `;${w}${a}`).join("");
    });
  const damaged = fc
    .tuple(shaped, fc.integer({ min: 0, max: 9 }), fc.nat(), anyChar, shaped)
    .map(([line, kind, at, ch, other]) => mutate(line, kind, at, ch, other));
  return fc.oneof(
    { weight: 12, arbitrary: shaped },
    { weight: 3, arbitrary: damaged },
    { weight: 1, arbitrary: fc.string({ unit: anyChar, maxLength: 40 }) },
    { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
  );
}

/** A Cookie request header: pairs joined by ";" with any spacing, some without "=", some garbage. */
export function cookieHeader(names: PolicyNames, maxPairs = 30, minPairs = 0): fc.Arbitrary<string> {
  const pair = fc.oneof(
    { weight: 8, arbitrary: fc.tuple(cookieName(names), ws, ws, fc.oneof(token(20), fc.constant(""), fc.string({ unit: anyChar, maxLength: 10 }))).map(([n, a, b, v]) => `${n}${a}=${b}${v}`) },
    { weight: 1, arbitrary: cookieName(names) },
    { weight: 1, arbitrary: fc.string({ unit: anyChar, maxLength: 20 }) },
  );
  return fc
    .tuple(fc.array(fc.tuple(pair, fc.constantFrom("; ", ";", " ; ", ";\t", ";;", "; ;")), { minLength: minPairs, maxLength: maxPairs }), ws)
    .map(([pairs, tail]) => pairs.map(([p, sep], i) => (i === 0 ? p : sep + p)).join("") + tail);
}

/** A subset of the policy's optional consent keys (and sometimes keys it does not know). */
export function grantedKeys(policy: CompiledPolicy): fc.Arbitrary<Set<string>> {
  const keys = [...new Set(policy.services.map((s) => s.consentKey))];
  return fc.subarray([...keys, "necessary", "unknown-key", "__proto__"]).map((k) => new Set(k));
}

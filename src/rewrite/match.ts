/**
 * Decides which service, if any, an element's URL or inline script belongs to, and whether the
 * visitor's consent lets it through. Pure; no I/O. Lookup structures are built once per
 * compiled policy and cached in a WeakMap, so a request only filters them by consent.
 */
import type { Consent } from "../consent/types";
import { isServiceAllowed } from "../cookies/decide";
import type { Category, CompiledPolicy, ServiceDeclaration } from "../policy/types";

/** A service that declares hosts or markers, lower-cased once. */
export interface Blocker {
  id: string;
  consentKey: string;
  category: Category;
  hosts: readonly string[];
  /** `"." + host`, for the subdomain test. */
  suffixes: readonly string[];
  markers: readonly string[];
  /** A host the URL parser could also reach from a spelling that does not contain it (an IPv4 address: `0x7f.1`). */
  numericHost: boolean;
}

export interface PreparedPolicy {
  blockers: readonly Blocker[];
  /** Non-necessary services, for the `data-service` / `data-category` convention. */
  optional: readonly ServiceDeclaration[];
  /** Lower-cased consent keys and service ids → services answering to them. */
  byToken: ReadonlyMap<string, readonly ServiceDeclaration[]>;
}

/** What one request may not load. */
export interface Denial {
  blockers: readonly Blocker[];
  /** Blockers that declare markers (the only ones inline scripts are searched for). */
  markerBlockers: readonly Blocker[];
  maxMarkerLength: number;
  /** Categories with at least one non-consented service. */
  categories: ReadonlySet<Category>;
  /** Lower-cased consent keys / ids of which at least one service is not consented. */
  tokens: ReadonlySet<string>;
  /** Nothing is denied: the page may pass untouched. */
  empty: boolean;
}

const prepared = new WeakMap<CompiledPolicy, PreparedPolicy>();

export function preparePolicy(policy: CompiledPolicy): PreparedPolicy {
  let p = prepared.get(policy);
  if (p) return p;
  const blockers: Blocker[] = [];
  const optional: ServiceDeclaration[] = [];
  const byToken = new Map<string, ServiceDeclaration[]>();
  for (const s of policy.services) {
    if (s.category === "necessary") continue;
    optional.push(s);
    for (const token of new Set([s.consentKey.toLowerCase(), s.id.toLowerCase()])) {
      const list = byToken.get(token);
      if (list) list.push(s);
      else byToken.set(token, [s]);
    }
    const hosts = (s.block?.hosts ?? []).map((h) => h.trim().toLowerCase().replace(/^\*?\./, "")).filter(Boolean);
    const markers = (s.block?.markers ?? []).map((m) => m.toLowerCase()).filter(Boolean);
    if (hosts.length || markers.length) {
      const numericHost = hosts.some((h) => /(^|\.)(0x[0-9a-f]*|[0-9]+)\.?$/.test(h));
      blockers.push({ id: s.id, consentKey: s.consentKey, category: s.category, hosts, suffixes: hosts.map((h) => "." + h), markers, numericHost });
    }
  }
  p = { blockers, optional, byToken };
  prepared.set(policy, p);
  return p;
}

/** Per prepared policy: denials by granted-set object (records verified once share theirs), then by the keys. */
const denials = new WeakMap<PreparedPolicy, { bySet: WeakMap<ReadonlySet<string>, Denial>; byKeys: Map<string, Denial> }>();

/** What `consent` denies under `p`; built once per consent state and policy, then shared (read-only). */
export function denialFor(p: PreparedPolicy, consent: Consent): Denial {
  let memo = denials.get(p);
  if (!memo) denials.set(p, (memo = { bySet: new WeakMap(), byKeys: new Map() }));
  let d = memo.bySet.get(consent.granted);
  if (d) return d;
  const key = [...consent.granted].sort().join(" ");
  d = memo.byKeys.get(key);
  if (!d) {
    d = buildDenial(p, consent);
    if (memo.byKeys.size < 256) memo.byKeys.set(key, d);
  }
  memo.bySet.set(consent.granted, d);
  return d;
}

function buildDenial(p: PreparedPolicy, consent: Consent): Denial {
  const blockers = p.blockers.filter((b) => !isServiceAllowed(b, consent));
  const markerBlockers = blockers.filter((b) => b.markers.length > 0);
  const categories = new Set<Category>();
  const tokens = new Set<string>();
  for (const s of p.optional) {
    if (isServiceAllowed(s, consent)) continue;
    categories.add(s.category);
    tokens.add(s.consentKey.toLowerCase());
    tokens.add(s.id.toLowerCase());
  }
  let maxMarkerLength = 0;
  for (const b of markerBlockers) for (const m of b.markers) maxMarkerLength = Math.max(maxMarkerLength, m.length);
  return { blockers, markerBlockers, maxMarkerLength, categories, tokens, empty: categories.size === 0 };
}

/** Named references that spell ASCII (HTML § 13.5), the ones a URL, a host or a type can be written with. */
const ASCII_ENTITIES: Record<string, string> = {
  amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", period: ".", sol: "/", colon: ":", lowbar: "_", UnderBar: "_",
  hyphen: "-", dash: "-", Tab: "\t", NewLine: "\n", num: "#", percnt: "%", quest: "?", equals: "=", commat: "@",
  excl: "!", dollar: "$", lpar: "(", rpar: ")", ast: "*", midast: "*", plus: "+", comma: ",", semi: ";",
  lsqb: "[", lbrack: "[", bsol: "\\", rsqb: "]", rbrack: "]", Hat: "^", grave: "`", DiacriticalGrave: "`",
  lcub: "{", lbrace: "{", verbar: "|", vert: "|", VerticalLine: "|", rcub: "}", rbrace: "}", fjlig: "fj",
  fflig: "ff", filig: "fi", fllig: "fl", ffilig: "ffi", ffllig: "ffl", ijlig: "ij", IJlig: "IJ", trade: "TM", TRADE: "TM", ell: "l", planckh: "h", QUOT: '"', AMP: "&", LT: "<", GT: ">",
};
/** The legacy references browsers decode even without ";" (HTML § 13.2.5.73): U+00A0–U+00FF, in order. */
const LATIN1 = (
  "nbsp iexcl cent pound curren yen brvbar sect uml copy ordf laquo not shy reg macr deg plusmn sup2 sup3 acute micro " +
  "para middot cedil sup1 ordm raquo frac14 frac12 frac34 iquest Agrave Aacute Acirc Atilde Auml Aring AElig Ccedil " +
  "Egrave Eacute Ecirc Euml Igrave Iacute Icirc Iuml ETH Ntilde Ograve Oacute Ocirc Otilde Ouml times Oslash Ugrave " +
  "Uacute Ucirc Uuml Yacute THORN szlig agrave aacute acirc atilde auml aring aelig ccedil egrave eacute ecirc euml " +
  "igrave iacute icirc iuml eth ntilde ograve oacute ocirc otilde ouml divide oslash ugrave uacute ucirc uuml yacute thorn yuml"
).split(" ");
const LEGACY = new Map<string, string>(LATIN1.map((n, i) => [n, String.fromCharCode(0xa0 + i)]));
for (const [n, v] of [["amp", "&"], ["AMP", "&"], ["lt", "<"], ["LT", "<"], ["gt", ">"], ["GT", ">"], ["quot", '"'], ["QUOT", '"'], ["COPY", "\u00a9"], ["REG", "\u00ae"]]) LEGACY.set(n, v);
const LEGACY_RE = new RegExp(`^(${[...LEGACY.keys()].sort((a, b) => b.length - a.length).join("|")})`);
/** Numeric references to C1 code points mean windows-1252 (HTML § 13.2.5.80). */
const C1 = "\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178";

export interface Decoded {
  value: string;
  /** A `&name;` this table does not know: the browser may decode it into something else. */
  unresolved: boolean;
}

/**
 * An attribute value as the browser reads it (HTML § 13.2.5.72–80): numeric references (C1
 * remapped, invalid ones U+FFFD), the legacy Latin-1 names with or without ";" (not before "="
 * or an alphanumeric), names that spell ASCII, and mathematical letters (`&aopf;`, `&Ascr;`,
 * `&afr;`, written as their letter: URL hosts map them to it anyway). Any other `&name;` is
 * kept and flagged, so that callers can fail closed where it matters (a URL's host).
 */
export function decodeReferences(raw: string): Decoded {
  if (!raw.includes("&")) return { value: raw, unresolved: false };
  let unresolved = false;
  const value = raw.replace(/&(?:#[xX]([0-9a-fA-F]+);?|#([0-9]+);?|([A-Za-z][A-Za-z0-9]*)(;?))/g, (all, hex, dec, name, semi, offset, whole) => {
    if (hex !== undefined || dec !== undefined) {
      const code = hex !== undefined ? Number.parseInt(hex.slice(0, 8), 16) : Number.parseInt(dec.slice(0, 8), 10);
      if (code >= 0x80 && code <= 0x9f) return C1[code - 0x80];
      if (code === 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return "\ufffd";
      return String.fromCodePoint(code);
    }
    if (semi) {
      const m = /^([A-Za-z])(opf|scr|fr)$/.exec(name);
      if (m) return m[1].toLowerCase();
      const ascii = Object.hasOwn(ASCII_ENTITIES, name) ? ASCII_ENTITIES[name] : undefined;
      if (ascii !== undefined) return ascii;
      const legacy = LEGACY.get(name);
      if (legacy !== undefined) return legacy;
      unresolved = true;
      return all;
    }
    // No ";": only a legacy name, longest first, and not when "=" or an alphanumeric follows it.
    const legacy = LEGACY_RE.exec(name);
    if (!legacy) return all;
    const after = name.length > legacy[1].length ? name[legacy[1].length] : (whole as string)[offset + all.length];
    if (after !== undefined && /[=A-Za-z0-9]/.test(after)) return all;
    return LEGACY.get(legacy[1])! + name.slice(legacy[1].length);
  });
  return { value, unresolved };
}

/** `decodeReferences(raw).value`. */
export function decodeAttribute(raw: string): string {
  return decodeReferences(raw).value;
}

/** The id reported for a URL whose host cannot be read with certainty: refused, whoever it is. */
export const UNREADABLE = "unreadable-url";

/** The id of the first denied service whose host (or a subdomain of it) serves `rawUrl`, or whose marker it contains. */
export function matchUrl(rawUrl: string, blockers: readonly Blocker[]): string | undefined {
  if (blockers.length === 0) return undefined;
  const { value: decoded, unresolved } = decodeReferences(rawUrl);
  if (unresolved && unresolvedInAuthority(decoded)) return UNREADABLE;
  const lower = decoded.toLowerCase();
  let host = "";
  if (mayNameAHost(decoded, lower, blockers)) {
    try {
      // The WHATWG parser, as the browser uses it: strips tabs and newlines, reads "\" as "/", decodes %-escapes in hosts, maps hosts (UTS 46).
      host = new URL(decoded, "https://same-origin.invalid/").hostname;
    } catch {
      // An unparseable URL loads nothing; markers may still name it.
    }
    if (host.endsWith(".")) host = host.slice(0, -1);
  }
  for (const b of blockers) {
    for (let i = 0; i < b.hosts.length; i++) {
      if (host === b.hosts[i] || host.endsWith(b.suffixes[i])) return b.id;
    }
    for (const m of b.markers) if (lower.includes(m)) return b.id;
  }
  return undefined;
}

/**
 * False only when the URL parser cannot give `decoded` a host of `blockers`: written in plain
 * ASCII with no tab, newline or `%` (the only ways to spell a host other than as its own
 * letters: UTS 46 mapping, stripped whitespace, %-escapes; upper case is undone by `lower`),
 * the parsed host is a substring of the URL, lower-cased, so a URL that contains none of the
 * hosts is served by none of them. IPv4 hosts have other spellings (`0x7f.1`): always parsed.
 * `new URL` costs far more than these scans, and most URLs on a page name no denied host.
 */
function mayNameAHost(decoded: string, lower: string, blockers: readonly Blocker[]): boolean {
  // eslint-disable-next-line no-control-regex
  if (/[^\x20-\x7e]|%/.test(decoded)) return true;
  for (const b of blockers) {
    if (b.numericHost) return true;
    for (const h of b.hosts) if (lower.includes(h)) return true;
  }
  return false;
}

/** True when an unknown reference sits in the authority of an absolute or scheme-relative URL. */
function unresolvedInAuthority(decoded: string): boolean {
  const m = /^[\s\u0000-\u001f]*(?:[a-z][a-z0-9+.-]*:)?[\t\n\r]*[\\/][\t\n\r]*[\\/]([^/\\?#]*)/i.exec(decoded);
  return m !== null && /&[A-Za-z][A-Za-z0-9]*;/.test(m[1]);
}

/** `srcset`: blocked when any candidate URL is. */
export function matchSrcset(rawSrcset: string, blockers: readonly Blocker[]): string | undefined {
  for (const candidate of rawSrcset.split(",")) {
    const url = candidate.trim().split(/\s+/, 1)[0];
    const hit = url ? matchUrl(url, blockers) : undefined;
    if (hit) return hit;
  }
  return undefined;
}

/** The first denied service one of whose markers occurs in `lowerText` at or after `from`. */
export function matchMarkers(lowerText: string, blockers: readonly Blocker[], from = 0): string | undefined {
  for (const b of blockers) {
    for (const m of b.markers) if (lowerText.indexOf(m, from) !== -1) return b.id;
  }
  return undefined;
}

/**
 * The client-side managers' convention: `data-service` (a consent key or service id) is
 * blocked unless that service is consented; otherwise `data-category` (one of the policy's
 * categories) unless every service of it is. Unknown values are not ours and are ignored.
 * Returns the label to put in `data-consent-blocked`, or undefined when allowed.
 */
export function matchLabels(
  service: string | null,
  category: string | null,
  p: PreparedPolicy,
  denial: Denial,
): string | undefined {
  if (service) {
    const token = service.trim().toLowerCase();
    const services = p.byToken.get(token);
    if (services) return denial.tokens.has(token) ? services[0].id : undefined;
  }
  if (category) {
    const c = category.trim().toLowerCase() as Category;
    if (denial.categories.has(c)) return c;
  }
  return undefined;
}

/** HTML's JavaScript MIME type essences (MIME Sniffing § 4.6) plus `module`: the script types a browser runs. */
const SCRIPT_TYPES = new Set([
  "", "module", "application/ecmascript", "application/javascript", "application/x-ecmascript",
  "application/x-javascript", "text/ecmascript", "text/javascript", "text/javascript1.0", "text/javascript1.1",
  "text/javascript1.2", "text/javascript1.3", "text/javascript1.4", "text/javascript1.5", "text/jscript",
  "text/livescript", "text/x-ecmascript", "text/x-javascript",
]);

/** Whether a browser would execute a `<script>` with this `type` (HTML § 4.12.1.1). */
export function isExecutableScriptType(type: string | null): boolean {
  if (type === null) return true;
  const t = type.trim().toLowerCase();
  return SCRIPT_TYPES.has(t.split(";", 1)[0].trim());
}

/** JavaScript string escapes (`\x67`, `\u0067`, `\u{67}`, `\/`) undone, for searching code. */
function jsUnescape(text: string): string {
  return text.replace(/\\(?:x([0-9a-fA-F]{2})|u\{([0-9a-fA-F]{1,6})\}|u([0-9a-fA-F]{4})|(.))/gs, (_, x, cp, u, ch) => {
    if (x || u) return String.fromCharCode(Number.parseInt(x ?? u, 16));
    if (cp) {
      const n = Number.parseInt(cp, 16);
      return n <= 0x10ffff ? String.fromCodePoint(n) : "";
    }
    return ch;
  });
}

function percentDecode(text: string): string {
  return text.replace(/%([0-9a-fA-F]{2})/g, (_, h) => String.fromCharCode(Number.parseInt(h, 16)));
}

/**
 * The denied service inline code names: a marker, or (with `hosts`) a denied host, in the code
 * as written or after undoing what a browser would undo before the string reaches a URL
 * parser: character references (`svg` scripts and handlers are attribute-like), JavaScript
 * escapes, %-escapes, and compatibility forms of letters (NFKC, as host mapping does). Code
 * that builds a host at run time ("google-" + "analytics") is beyond any text search: that is
 * what the enforced CSP is for.
 */
export function scanCode(text: string, blockers: readonly Blocker[], opts: { hosts: boolean; references?: boolean }): string | undefined {
  if (blockers.length === 0) return undefined;
  const variants = [text.toLowerCase()];
  let t = text;
  if (opts.references && t.includes("&")) variants.push((t = decodeAttribute(t)).toLowerCase());
  if (t.includes("\\")) variants.push((t = jsUnescape(t)).toLowerCase());
  if (t.includes("%")) variants.push((t = percentDecode(t)).toLowerCase());
  // eslint-disable-next-line no-control-regex
  if (/[^\u0000-\u007f]/.test(t)) variants.push(t.normalize("NFKC").toLowerCase());
  for (const v of variants) {
    for (const b of blockers) {
      for (const m of b.markers) if (v.includes(m)) return b.id;
      if (opts.hosts) for (const h of b.hosts) if (v.includes(h)) return b.id;
    }
  }
  return undefined;
}

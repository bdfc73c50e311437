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
      blockers.push({ id: s.id, consentKey: s.consentKey, category: s.category, hosts, suffixes: hosts.map((h) => "." + h), markers });
    }
  }
  p = { blockers, optional, byToken };
  prepared.set(policy, p);
  return p;
}

export function denialFor(p: PreparedPolicy, consent: Consent): Denial {
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

const NAMED_ENTITIES: Record<string, string> = {
  amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", period: ".", sol: "/", colon: ":", lowbar: "_",
  hyphen: "-", dash: "-", tab: "\t", newline: "\n", num: "#", percnt: "%", quest: "?", equals: "=", commat: "@",
};

/**
 * HTMLRewriter hands attribute values over raw; browsers decode character references first
 * (HTML § 13.2.5.72). Numeric references and the named ones that can spell a URL are decoded.
 */
export function decodeAttribute(raw: string): string {
  if (!raw.includes("&")) return raw;
  return raw.replace(/&(?:#(\d+)|#x([0-9a-f]+)|([a-z]+));?/gi, (all, dec, hex, name) => {
    if (dec || hex) {
      const code = dec ? Number.parseInt(dec, 10) : Number.parseInt(hex, 16);
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : "\ufffd";
    }
    return NAMED_ENTITIES[name.toLowerCase()] ?? all;
  });
}

/** The id of the first denied service whose host (or a subdomain of it) serves `rawUrl`, or whose marker it contains. */
export function matchUrl(rawUrl: string, blockers: readonly Blocker[]): string | undefined {
  if (blockers.length === 0) return undefined;
  const decoded = decodeAttribute(rawUrl);
  const lower = decoded.toLowerCase();
  let host = "";
  try {
    // The WHATWG parser, as the browser uses it: strips tabs and newlines, reads "\" as "/", decodes %-escapes in hosts.
    host = new URL(decoded, "https://same-origin.invalid/").hostname;
  } catch {
    // An unparseable URL loads nothing; markers may still name it.
  }
  if (host.endsWith(".")) host = host.slice(0, -1);
  for (const b of blockers) {
    for (let i = 0; i < b.hosts.length; i++) {
      if (host === b.hosts[i] || host.endsWith(b.suffixes[i])) return b.id;
    }
    for (const m of b.markers) if (lower.includes(m)) return b.id;
  }
  return undefined;
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

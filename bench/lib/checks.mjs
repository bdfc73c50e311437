// Correctness checks run once per case before it is timed, so the bench cannot time a broken worker.
// Each returns undefined when the response is right, else a one-line reason.
import { CACHEABLE, NECESSARY_COOKIES, STATISTICS_COOKIES, TRACKER_HOSTS } from "../origin.mjs";

export const cookieNames = (headers) => (headers["set-cookie"] ?? []).map((l) => l.slice(0, l.indexOf("=")).trim());

function sameNames(res, expected) {
  if (res.status !== 200) return `HTTP ${res.status ?? res.error?.message}`;
  const got = cookieNames(res.headers).sort();
  const want = [...expected].sort();
  if (got.join() !== want.join()) return `Set-Cookie names [${got.join(", ")}], expected [${want.join(", ")}]`;
}

/** Executable <script> elements: [attributes, inline text]. Regex is enough for the bench's and the soak's own pages. */
export function executableScripts(html) {
  const out = [];
  for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
    const type = /\btype\s*=\s*["']?([^"'\s>]+)/i.exec(m[1])?.[1]?.toLowerCase();
    if (!type || type === "module" || type.includes("javascript") || type.includes("ecmascript")) out.push([m[1], m[2]]);
  }
  return out;
}

const isTracker = ([attrs, text]) => /googletagmanager\.com/.test(attrs) || /_paq\.push|gtag\(/.test(text);

/** The enforced Content-Security-Policy headers of a response, each as a Map of directive -> source list. */
function enforcedPolicies(headers) {
  const raw = headers["content-security-policy"];
  // node:http joins repeated headers with ", "; a policy never holds a comma of its own.
  const policies = (Array.isArray(raw) ? raw : raw ? [raw] : []).flatMap((v) => v.split(","));
  return policies.map((p) => {
    const m = new Map();
    for (const d of p.split(";")) {
      const [name, ...sources] = d.trim().toLowerCase().split(/\s+/);
      if (name && !m.has(name)) m.set(name, sources);
    }
    return m;
  });
}

/** True when a CSP source list lets the browser load from https://host (CSP3 § 6.7.2, enough for the bench). */
function allowsHost(sources, host) {
  return sources.some((s) => {
    if (s === "*" || s === "https:" || s === "http:") return true;
    const h = s.replace(/^https?:\/\//, "").replace(/[:/].*$/, "");
    return h === host || (h.startsWith("*.") && host.endsWith(h.slice(1)));
  });
}

/** True when some enforced policy keeps the browser from reaching `host` through `directive`. */
function cspBlocks(policies, directive, host) {
  return policies.some((p) => {
    const sources = p.get(directive) ?? p.get("default-src");
    return sources !== undefined && !allowsHost(sources, host);
  });
}

/**
 * Trackers on the page cannot run or reach their hosts: each executable tracker script is either
 * neutralised in the markup or its hosts are refused by an enforced CSP (scripts, connections, images).
 */
function trackersBlocked(res) {
  const policies = enforcedPolicies(res.headers);
  const unreachable = (host) => ["script-src", "connect-src", "img-src"].every((d) => cspBlocks(policies, d, host));
  const live = executableScripts(res.body.toString("utf8")).filter(isTracker);
  if (live.length && !TRACKER_HOSTS.every(unreachable)) return "tracking scripts (gtag / _paq) still executable and their hosts not refused by a CSP";
}

export const ALL_COOKIES = [...NECESSARY_COOKIES, ...STATISTICS_COOKIES];

/** Where two bodies first differ, for a check's reason. */
function firstDifference(got, want) {
  const n = Math.min(got.length, want.length);
  let i = 0;
  while (i < n && got[i] === want[i]) i++;
  return `${got.length} bytes against the origin's ${want.length}, first difference at byte ${i}`;
}

/** Undefined when the body is exactly `want` (a missing body is not), else `what` and where they differ. */
function bodyDiffers(res, want, what = "body differs from the origin's") {
  if (!res.body?.equals(want)) return `${what}: ${firstDifference(res.body ?? Buffer.alloc(0), want)}`;
}

/**
 * The origin, the pass-through worker and the floors that keep the page (an HTMLRewriter with a
 * no-op handler, the no-store copy, the one-route Hono app) return all 8 Set-Cookie lines and the page as sent.
 */
export function checkUntouched(res, expectedBody) {
  return sameNames(res, ALL_COOKIES) ?? bodyDiffers(res, expectedBody);
}

const BANNER = 'id="consent-edge-banner"';

/** consent-edge, no choice yet: only the 3 necessary cookies, the page whole, trackers blocked, the banner shown. */
export function checkNoChoice(res) {
  const bad = sameNames(res, NECESSARY_COOKIES) ?? checkHtml(res) ?? trackersBlocked(res) ?? firstPartyKept(res);
  if (bad) return bad;
  if (!res.body.toString("utf8").includes(BANNER)) return "no consent banner on a page of a visitor who has not chosen";
}

/** consent-edge, visitor refused: only the 3 necessary cookies, the page whole, trackers blocked, no banner. */
export function checkRefused(res) {
  const bad = sameNames(res, NECESSARY_COOKIES) ?? checkHtml(res) ?? trackersBlocked(res) ?? firstPartyKept(res);
  if (bad) return bad;
  if (res.body.toString("utf8").includes(BANNER)) return "consent banner shown to a visitor who has chosen";
}

/** consent-edge on a non-HTML response without consent: only the 3 necessary cookies, the body as sent. */
export function checkNecessaryOnlyUntouched(res, expectedBody) {
  return sameNames(res, NECESSARY_COOKIES) ?? bodyDiffers(res, expectedBody);
}

/** consent-edge with full consent: all 8 cookies kept, the page byte for byte as the origin sent it. */
export function checkFullConsent(res, expectedBody) {
  return sameNames(res, ALL_COOKIES) ?? bodyDiffers(res, expectedBody, "fully consented page differs from the origin's");
}

/** The pass-through of the cacheable page: all 8 cookies, the page as sent, and the origin's caching headers. */
export function checkCacheableUntouched(res, expectedBody) {
  const bad = checkUntouched(res, expectedBody);
  if (bad) return bad;
  if (res.headers["cache-control"] !== CACHEABLE.cacheControl || res.headers.etag !== CACHEABLE.etag)
    return `caching headers not the origin's (Cache-Control "${res.headers["cache-control"]}", ETag ${res.headers.etag})`;
}

/**
 * consent-edge with full consent on a cacheable page: all 8 cookies, the page byte for byte, and
 * the worker's guarantee that a consent-dependent document is not reused: Cache-Control no-store
 * and no validator (proxy/cache.ts).
 */
export function checkFullConsentNoStore(res, expectedBody) {
  const bad = checkFullConsent(res, expectedBody);
  if (bad) return bad;
  if (!/\bno-store\b/i.test(res.headers["cache-control"] ?? "")) return `cacheable document left reusable (Cache-Control "${res.headers["cache-control"]}")`;
  if (res.headers.etag !== undefined) return `document made no-store still carries the origin's ETag ${res.headers.etag}`;
}

/** The append floor (bench/floor-append.mjs): only the 3 necessary cookies, the page byte for byte, then exactly `tail`. */
export function checkFloorAppended(res, expectedBody, tail) {
  const bad = sameNames(res, NECESSARY_COOKIES);
  if (bad) return bad;
  const want = Buffer.concat([expectedBody, Buffer.from(tail)]);
  return bodyDiffers(res, want, "body is not the origin's page and the tail");
}

/**
 * The CSP floor (bench/floor-csp.mjs) and the scan floor (bench/floor-scan.mjs): only the 3
 * necessary cookies, the page byte for byte (then `tail`, when given), and exactly one enforced
 * Content-Security-Policy, `csp`.
 */
export function checkFloorCsp(res, expectedBody, csp, tail) {
  const bad = sameNames(res, NECESSARY_COOKIES) ?? bodyDiffers(res, tail ? Buffer.concat([expectedBody, Buffer.from(tail)]) : expectedBody);
  if (bad) return bad;
  const got = res.headers["content-security-policy"];
  if (got !== csp) return got === undefined ? "no Content-Security-Policy header" : `Content-Security-Policy not the floor's (${String(got).length} characters, expected ${csp.length})`;
}

function firstPartyKept(res) {
  const scripts = executableScripts(res.body.toString("utf8"));
  if (!scripts.some(([attrs]) => attrs.includes("/static/ods-frontend.js"))) return "first-party script was blocked too";
}

// The banner as the worker appends it: BANNER_RESET (src/rewrite/banner.ts: `<!--'"]]>-->`, then
// end tags only) and the banner's own <div>.
const BANNER_AT_END = /(?:<!--'"\]\]>-->(?:<\/[A-Za-z]+>)*)?<div id="consent-edge-banner"[\s\S]*<\/div>$/;

/** The page's own end, then at most the banner, which the worker writes after the document's end. */
export function endsWhole(html) {
  return html.trimEnd().replace(BANNER_AT_END, "").trimEnd().endsWith("</html>");
}

function checkHtml(res) {
  const html = res.body?.toString("utf8") ?? "";
  if (!endsWhole(html) || !html.includes('class="ods-catalog"')) return "HTML body truncated or replaced";
}

// Correctness checks run once per case before it is timed, so the bench cannot time a broken worker.
// Each returns undefined when the response is right, else a one-line reason.
import { NECESSARY_COOKIES, STATISTICS_COOKIES } from "../origin.mjs";

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

export const ALL_COOKIES = [...NECESSARY_COOKIES, ...STATISTICS_COOKIES];

/** The origin and the pass-through worker return all 8 Set-Cookie lines and the page as sent. */
export function checkUntouched(res, expectedBody) {
  return sameNames(res, ALL_COOKIES) ?? (res.body && !res.body.equals(expectedBody) ? "body differs from the origin's" : undefined);
}

/** consent-edge without consent: only the 3 necessary cookies, the HTML page intact in length order. */
export function checkNecessaryOnly(res) {
  return sameNames(res, NECESSARY_COOKIES) ?? checkHtml(res);
}

/** consent-edge on a non-HTML response without consent: only the 3 necessary cookies, the body as sent. */
export function checkNecessaryOnlyUntouched(res, expectedBody) {
  return sameNames(res, NECESSARY_COOKIES) ?? (res.body && !res.body.equals(expectedBody) ? "body differs from the origin's" : undefined);
}

/** consent-edge with full consent: all 8 cookies kept. */
export function checkFullConsent(res) {
  return sameNames(res, ALL_COOKIES) ?? checkHtml(res);
}

/** consent-edge on the tracked page without consent: trackers not executable, first-party script kept. */
export function checkTrackersBlocked(res) {
  const bad = sameNames(res, NECESSARY_COOKIES) ?? checkHtml(res);
  if (bad) return bad;
  const scripts = executableScripts(res.body.toString("utf8"));
  if (scripts.some(isTracker)) return "tracking scripts (gtag / _paq) still executable: script blocking not active";
  if (!scripts.some(([attrs]) => attrs.includes("/static/ods-frontend.js"))) return "first-party script was blocked too";
}

function checkHtml(res) {
  const html = res.body?.toString("utf8") ?? "";
  if (!html.trimEnd().endsWith("</html>") || !html.includes('class="ods-catalog"')) return "HTML body truncated or replaced";
}

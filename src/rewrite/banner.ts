/**
 * Renders the consent banner: plain HTML and CSS, no JavaScript, well-formed enough for
 * XHTML pages. Pure; every interpolated value is escaped.
 */
import { escapeHtml } from "../html";
import { defaultLang, shownLang } from "../i18n/choose";
import { localizeText } from "../i18n/localize";
import type { CompiledPolicy, Lang } from "../policy/types";

export const BANNER_ID = "consent-edge-banner";

export { escapeHtml };

// Both buttons share one class: refusing is exactly as prominent as accepting (CNIL, 2020 guidelines § 31).
// On touch screens a page wider than the screen widens the layout viewport that `position:fixed`
// is laid out in (Chromium: to the visual viewport at minimum scale), so `bottom:0` lands below
// the visible area and the width past its right edge. There the banner is placed and sized in
// viewport units instead, which stay the screen's (the initial containing block): its top at
// the bottom of the small viewport (URL bar shown), lifted by its own height.
const CSS =
  `#${BANNER_ID}{position:fixed;left:0;right:0;bottom:0;z-index:2147483647;box-sizing:border-box;max-width:100vw;` +
  `padding:1em;background:#fff;color:#111;border-top:2px solid #111;font:16px/1.4 system-ui,sans-serif;overflow-wrap:break-word}` +
  `@media (hover:none),(pointer:coarse){#${BANNER_ID}{right:auto;bottom:auto;width:100vw;top:100vh;top:100svh;transform:translateY(-100%);max-height:60vh;max-height:60svh;overflow-y:auto}}` +
  `#${BANNER_ID} p{margin:0 0 .75em}#${BANNER_ID} form{display:inline-flex;flex-wrap:wrap;max-width:100%}` +
  `#${BANNER_ID} button{margin:0;margin-inline-end:.5em;margin-block-end:.5em;padding:.5em 1.25em;font:inherit;font-weight:600;` +
  `color:#fff;background:#1a4d8f;border:2px solid #1a4d8f;border-radius:4px;cursor:pointer}` +
  `#${BANNER_ID} button:focus-visible,#${BANNER_ID} a:focus-visible{outline:3px solid #f90;outline-offset:2px}` +
  `#${BANNER_ID} a{color:#1a4d8f}`;

/**
 * Where the worker serves the banner's stylesheet (its own route, never proxied), versioned by
 * its content so that browsers may keep it for a year. Pages that pass unparsed link it instead
 * of holding a `<style>` element: written after a document's end, a raw-text element is
 * ambiguous to a streaming HTML parser further down the line (lol-html refuses a `<style>` after
 * a frameset, and aborts the response), while a `<link>` is not.
 */
export const BANNER_CSS_PATH = "/.consent-edge/banner.css";
export const BANNER_CSS = CSS;
export const BANNER_CSS_URL = `${BANNER_CSS_PATH}?v=${fnv1a(CSS)}`;

/**
 * The rule that hides the portal's own cookie banner (`portalBanner.hide`) while the worker's is
 * due: shipped with the banner, so it costs the rewriter nothing per element. `:is()` takes the
 * list forgivingly (an invalid selector matches nothing, the rule stays); never the worker's
 * banner, nor an element that holds it.
 */
function portalBannerRule(policy: CompiledPolicy): string {
  const hide = policy.portalBanner?.hide;
  return hide ? `:is(${hide}):not(#${BANNER_ID}):not(:has(#${BANNER_ID})){display:none!important}` : "";
}

// Per policy: its stylesheet and the versioned URL pages link it by.
const STYLESHEETS = new WeakMap<CompiledPolicy, { css: string; url: string }>();

function stylesheetOf(policy: CompiledPolicy): { css: string; url: string } {
  let sheet = STYLESHEETS.get(policy);
  if (!sheet) {
    const rule = portalBannerRule(policy);
    sheet = rule ? { css: CSS + rule, url: `${BANNER_CSS_PATH}?v=${fnv1a(CSS + rule)}` } : { css: CSS, url: BANNER_CSS_URL };
    STYLESHEETS.set(policy, sheet);
  }
  return sheet;
}

/** The banner's stylesheet for a policy: BANNER_CSS, and its portalBanner rule when it declares one. */
export function bannerCss(policy: CompiledPolicy): string {
  return stylesheetOf(policy).css;
}

/** The stylesheet at BANNER_CSS_PATH for the request's tenant: GET and HEAD; anything else 405. */
export function bannerStylesheet(method: string, policy: CompiledPolicy): Response {
  if (method !== "GET" && method !== "HEAD") return new Response(null, { status: 405, headers: { allow: "GET, HEAD" } });
  return new Response(method === "HEAD" ? null : bannerCss(policy), {
    headers: {
      "content-type": "text/css; charset=utf-8",
      "cache-control": "public, max-age=31536000, immutable",
      "x-content-type-options": "nosniff",
    },
  });
}

/** A short, stable hash of `s` (FNV-1a, 32 bits, base 36): a cache-busting version, not a secret. */
function fnv1a(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(36);
}

/** The banner around its two return-path slots, per policy and language (escaped once). */
interface BannerParts {
  /** Up to the form's `return` value. */
  head: string;
  /** `head` with the stylesheet linked instead of inline (pages that pass unparsed). */
  headLinked: string;
  /** Between it and the link's `return` query value. */
  mid: string;
  tail: string;
  /** The same three as ASCII bytes (asciiHtml), for pages that pass unparsed. */
  bytes?: [Uint8Array, Uint8Array, Uint8Array];
}

const PARTS = new WeakMap<CompiledPolicy, Map<Lang, BannerParts>>();

function bannerParts(policy: CompiledPolicy, lang: Lang): BannerParts {
  let byLang = PARTS.get(policy);
  if (!byLang) PARTS.set(policy, (byLang = new Map()));
  let parts = byLang.get(lang);
  if (parts) return parts;
  const s = policy.uiStrings(lang);
  // A language the policy does not speak is shown in its default language, and said so.
  const shown = shownLang(policy, lang);
  const text = policy.banner?.text !== undefined ? localizeText(policy.banner.text, shown, defaultLang(policy)) : { text: s.bannerText };
  const textLang = text.lang !== undefined && text.lang !== shown ? ` lang="${escapeHtml(text.lang)}" dir="${policy.uiStrings(text.lang).dir}"` : "";
  const open = `<div id="${BANNER_ID}" role="region" aria-label="${escapeHtml(s.bannerLabel)}" lang="${escapeHtml(shown)}" dir="${escapeHtml(s.dir)}">`;
  const rest = `<p${textLang}>${escapeHtml(text.text)}</p>` + `<form method="post" action="/cookies">` + `<input type="hidden" name="return" value="`;
  const sheet = stylesheetOf(policy);
  parts = {
    head: open + `<style>${sheet.css}</style>` + rest,
    headLinked: open + `<link rel="stylesheet" href="${sheet.url}" />` + rest,
    mid:
      `" />` +
      `<input type="hidden" name="from" value="banner" />` +
      `<input type="hidden" name="lang" value="${escapeHtml(shown)}" />` +
      `<button type="submit" name="action" value="accept">${escapeHtml(s.acceptAll)}</button>` +
      `<button type="submit" name="action" value="refuse">${escapeHtml(s.refuseAll)}</button>` +
      `</form>` +
      // The page names where the visitor was, so it can link back there.
      `<a href="/cookies?return=`,
    tail: `">${escapeHtml(s.bannerMore)}</a></div>`,
  };
  byLang.set(lang, parts);
  return parts;
}

/**
 * The banner markup. It posts `action=accept|refuse`, `return=<returnPath>`, `from=banner` and
 * `lang` (for the choice's record) to /cookies,
 * the preference form's endpoint, which redirects back to `returnPath`.
 */
export function renderBanner(policy: CompiledPolicy, lang: Lang, returnPath: string): string {
  const p = bannerParts(policy, lang);
  return p.head + escapeHtml(returnPath) + p.mid + escapeHtml(encodeURIComponent(returnPath)) + p.tail;
}

/**
 * The banner for a page that passes unparsed: its stylesheet linked (BANNER_CSS_URL), as bytes
 * that every ASCII-compatible encoding reads the same, for a page whose encoding is not known
 * here: non-ASCII characters become character references (valid in the banner's text and
 * attribute values).
 */
export function bannerBytes(policy: CompiledPolicy, lang: Lang, returnPath: string): Uint8Array {
  const p = bannerParts(policy, lang);
  p.bytes ??= [asciiHtml(p.headLinked), asciiHtml(p.mid), asciiHtml(p.tail)];
  const chunks = [p.bytes[0], asciiHtml(escapeHtml(returnPath)), p.bytes[1], asciiHtml(escapeHtml(encodeURIComponent(returnPath))), p.bytes[2]];
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

const ENCODER = new TextEncoder();

/** `html` as ASCII bytes: every non-ASCII character as a numeric character reference. */
export function asciiHtml(html: string): Uint8Array {
  return ENCODER.encode(html.replace(/[^\0-\x7f]/gu, (c) => `&#${c.codePointAt(0)};`));
}

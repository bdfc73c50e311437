/**
 * Renders the consent banner: plain HTML and CSS, no JavaScript, well-formed enough for
 * XHTML pages. Pure; every interpolated value is escaped.
 */
import { escapeHtml } from "../html";
import { localize } from "../pages/i18n";
import type { CompiledPolicy, Lang } from "../policy/types";
import { BANNER_STRINGS } from "./banner-strings";

export const BANNER_ID = "consent-edge-banner";

export { escapeHtml };

// Both buttons share one class: refusing is exactly as prominent as accepting (CNIL, 2020 guidelines § 31).
const CSS =
  `#${BANNER_ID}{position:fixed;left:0;right:0;bottom:0;z-index:2147483647;box-sizing:border-box;` +
  `padding:1em;background:#fff;color:#111;border-top:2px solid #111;font:16px/1.4 system-ui,sans-serif}` +
  `#${BANNER_ID} p{margin:0 0 .75em}#${BANNER_ID} form{display:inline}` +
  `#${BANNER_ID} button{margin:0 .5em .5em 0;padding:.5em 1.25em;font:inherit;font-weight:600;` +
  `color:#fff;background:#1a4d8f;border:2px solid #1a4d8f;border-radius:4px;cursor:pointer}` +
  `#${BANNER_ID} button:focus-visible,#${BANNER_ID} a:focus-visible{outline:3px solid #f90;outline-offset:2px}` +
  `#${BANNER_ID} a{color:#1a4d8f}`;

/**
 * The banner markup. It posts `action=accept|refuse`, `return=<returnPath>`, `from=banner` and
 * `lang` (for the choice's record) to /cookies,
 * the preference form's endpoint, which redirects back to `returnPath`.
 */
export function renderBanner(policy: CompiledPolicy, lang: Lang, returnPath: string): string {
  const s = BANNER_STRINGS[lang] ?? BANNER_STRINGS.en;
  const text = policy.banner?.text !== undefined ? localize(policy.banner.text, lang) : s.text;
  return (
    `<div id="${BANNER_ID}" role="region" aria-label="${escapeHtml(s.label)}" lang="${lang}">` +
    `<style>${CSS}</style>` +
    `<p>${escapeHtml(text)}</p>` +
    `<form method="post" action="/cookies">` +
    `<input type="hidden" name="return" value="${escapeHtml(returnPath)}" />` +
    `<input type="hidden" name="from" value="banner" />` +
    `<input type="hidden" name="lang" value="${lang}" />` +
    `<button type="submit" name="action" value="accept">${escapeHtml(s.accept)}</button>` +
    `<button type="submit" name="action" value="refuse">${escapeHtml(s.refuse)}</button>` +
    `</form>` +
    `<a href="/cookies">${escapeHtml(s.more)}</a>` +
    `</div>`
  );
}

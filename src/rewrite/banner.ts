/**
 * Renders the consent banner: plain HTML and CSS, no JavaScript, well-formed enough for
 * XHTML pages. Pure; every interpolated value is escaped.
 */
import { escapeHtml, escapeHtml as escapeText } from "../html";
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

/**
 * What comes before the banner, whatever the page left open at its end (HTML § 13.2.5, § 13.2.6).
 * Appended content is parsed in whatever state the page's last byte left the parser: inside a
 * tag or an attribute value, a comment, a CDATA section, a script (escaped or double-escaped),
 * a raw-text or RCDATA element, a select, templates, a form, a button or link, fallback content,
 * closed details or dialogs, foreign content. Each piece ends one such state and is inert where
 * that state is not open: in a well-formed page the first piece is one comment and every end tag
 * is ignored (no matching element in scope), so nothing shows (no `</p>` nor `</br>`, the two end
 * tags that create an element where none is open; a `</div>` closes a `<p>` inside it anyway). Order matters: out of the tag,
 * then the comment and script states (`<!--…-->` leaves every script escape state for script
 * data), then the raw-text elements, then tree-level elements, innermost kinds first.
 *
 * What no end tag can leave is documented in SECURITY.md: `<plaintext>` (the scan mode puts the
 * banner before it), an HTML element the list does not name left open inside SVG
 * `<foreignObject>`, and a frameset (no banner; each frame is a page with its own).
 */
export const BANNER_RESET =
  `<!--'"]]>-->` +
  `</script></script></style></textarea></title></xmp></iframe></noembed></noframes></noscript>` +
  `</select></template></template></template></template></form>` +
  `</button></a></label></object></details></dialog></div></div>` +
  `</foreignObject></svg></math>`;

/** Slots of the banner markup, filled per response. */
const enum Slot {
  /** The form's id: unpredictable, so no page element can claim it. */
  FormId,
  /** The origin the form posts to (`https://host`), or "" for a relative `/cookies`. */
  Origin,
  /** The return path, escaped for an attribute. */
  Return,
  /** The return path as a query value, escaped for an attribute. */
  ReturnQuery,
}

/** The banner as literal segments around its slots, per policy and language (escaped once). */
interface BannerParts {
  /** segments[0] + slot[0] + segments[1] + …; segments[0] holds the inline stylesheet. */
  segments: string[];
  /** segments[0] with the stylesheet linked instead (pages that pass unparsed). */
  firstLinked: string;
  slots: Slot[];
  /** The segments as ASCII bytes (asciiHtml), the linked first one first, for pages that pass unparsed. */
  bytes?: Uint8Array[];
}

const PARTS = new WeakMap<CompiledPolicy, Map<Lang, BannerParts>>();

/**
 * Declarations set on the banner's elements themselves, `!important` in a style attribute, which
 * beats every author rule (CSS Cascade 5 § 6.1, element-attached declarations): the page's
 * stylesheets cannot hide the banner or its controls.
 */
const SHOWN = "display:block!important;visibility:visible!important;opacity:1!important;position:fixed!important;z-index:2147483647!important;pointer-events:auto!important;clip-path:none!important;filter:none!important;content-visibility:visible!important";
const CONTROL_SHOWN = "visibility:visible!important;opacity:1!important;pointer-events:auto!important";

function bannerParts(policy: CompiledPolicy, lang: Lang): BannerParts {
  let byLang = PARTS.get(policy);
  if (!byLang) PARTS.set(policy, (byLang = new Map()));
  let parts = byLang.get(lang);
  if (parts) return parts;
  const s = policy.uiStrings(lang);
  // A language the policy does not speak is shown in its default language, and said so.
  const shown = shownLang(policy, lang);
  const text = policy.banner?.text !== undefined ? localizeText(policy.banner.text, shown, defaultLang(policy)) : { text: s.bannerText };
  // NUL marks the template's slots below: none may come from the policy's strings (a parser reads it as U+FFFD anyway).
  const escapeHtml = (v: string) => escapeText(v).replaceAll("\0", "\uFFFD");
  const textLang = text.lang !== undefined && text.lang !== shown ? ` lang="${escapeHtml(text.lang)}" dir="${policy.uiStrings(text.lang).dir}"` : "";
  const open = `${BANNER_RESET}<div id="${BANNER_ID}" role="region" aria-label="${escapeHtml(s.bannerLabel)}" lang="${escapeHtml(shown)}" dir="${escapeHtml(s.dir)}" style="${SHOWN}">`;
  // Every control names the banner's own form (`form=`), and each button its target
  // (`formaction`, `formmethod`…): should the parser drop the banner's <form> (a page form left
  // open) or a page element wrap the controls, they still submit only this form, only to /cookies.
  const button = (action: "accept" | "refuse", label: string): string[] => [
    `<button type="submit" form="`, `" formaction="`, `/cookies" formmethod="post" formenctype="application/x-www-form-urlencoded" formtarget="_self" formnovalidate name="action" value="${action}" style="${CONTROL_SHOWN}">${escapeHtml(label)}</button>`,
  ];
  const hidden = (name: string, value: string) => `<input type="hidden" form="\0" name="${name}" value="${value}" />`;
  const sheet = stylesheetOf(policy);
  const first = `<p${textLang}>${escapeHtml(text.text)}</p>` + `<form id="`;
  // "\0" marks the slots in this template; the slot list below names them in order.
  const template =
    first +
    `\0" method="post" action="\0/cookies">` +
    `<input type="hidden" form="\0" name="return" value="\0" />` +
    hidden("from", "banner") +
    hidden("lang", escapeHtml(shown)) +
    button("accept", s.acceptAll).join("\0") +
    button("refuse", s.refuseAll).join("\0") +
    `</form>` +
    // The page names where the visitor was, so it can link back there.
    `<a href="\0/cookies?return=\0">${escapeHtml(s.bannerMore)}</a></div>`;
  const segments = template.split("\0");
  const slots = [Slot.FormId, Slot.Origin, Slot.FormId, Slot.Return, Slot.FormId, Slot.FormId, Slot.FormId, Slot.Origin, Slot.FormId, Slot.Origin, Slot.Origin, Slot.ReturnQuery];
  if (slots.length !== segments.length - 1) throw new Error("banner template: slots and segments disagree");
  parts = {
    segments: [open + `<style>${sheet.css}</style>` + segments[0], ...segments.slice(1)],
    firstLinked: open + `<link rel="stylesheet" href="${sheet.url}" />` + segments[0],
    slots,
  };
  byLang.set(lang, parts);
  return parts;
}

export interface BannerTarget {
  /** The banner form's id; default a fresh unpredictable one (newFormId). */
  formId?: string;
  /** The page's origin (`https://host[:port]`): the controls post to it absolutely, whatever `<base>` the page set; default relative. */
  origin?: string;
}

/** A fresh, unpredictable id for the banner's form (96 random bits): no page element can claim it in advance. */
export function newFormId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  let id = "ce-";
  for (const b of bytes) id += (b < 16 ? "0" : "") + b.toString(16);
  return id;
}

function slotValues(returnPath: string, target: BannerTarget | undefined): Record<Slot, string> {
  const origin = target?.origin !== undefined && /^https?:\/\/[a-z0-9.:[\]-]+$/i.test(target.origin) ? escapeText(target.origin) : "";
  return {
    [Slot.FormId]: escapeText(target?.formId ?? newFormId()),
    [Slot.Origin]: origin,
    [Slot.Return]: escapeText(returnPath),
    [Slot.ReturnQuery]: escapeText(encodeURIComponent(returnPath)),
  };
}

/**
 * The banner markup, BANNER_RESET first. It posts `action=accept|refuse`, `return=<returnPath>`,
 * `from=banner` and `lang` (for the choice's record) to /cookies, the preference form's
 * endpoint, which redirects back to `returnPath`.
 */
export function renderBanner(policy: CompiledPolicy, lang: Lang, returnPath: string, target?: BannerTarget): string {
  const p = bannerParts(policy, lang);
  const values = slotValues(returnPath, target);
  let out = p.segments[0];
  for (let i = 0; i < p.slots.length; i++) out += values[p.slots[i]] + p.segments[i + 1];
  return out;
}

/**
 * The banner for a page that passes unparsed: its stylesheet linked (BANNER_CSS_URL), as bytes
 * that every ASCII-compatible encoding reads the same, for a page whose encoding is not known
 * here: non-ASCII characters become character references (valid in the banner's text and
 * attribute values).
 */
export function bannerBytes(policy: CompiledPolicy, lang: Lang, returnPath: string, target?: BannerTarget): Uint8Array {
  const p = bannerParts(policy, lang);
  p.bytes ??= [asciiHtml(p.firstLinked), ...p.segments.slice(1).map(asciiHtml)];
  const values = slotValues(returnPath, target);
  const filled: Partial<Record<Slot, Uint8Array>> = {};
  const chunks: Uint8Array[] = [p.bytes[0]];
  for (let i = 0; i < p.slots.length; i++) {
    const slot = p.slots[i];
    chunks.push((filled[slot] ??= asciiHtml(values[slot])), p.bytes[i + 1]);
  }
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

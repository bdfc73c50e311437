/**
 * Renders the /cookies page as HTML from template strings: every value taken from a policy
 * file or the request goes through `esc` (text and attribute values alike). Pure; no I/O. The
 * page has no script: the form is a plain POST. Plain strings rather than hono/jsx keep ~5 KiB
 * (gzip) of JSX runtime out of the worker bundle.
 */
import { fill, type UiStrings } from "../i18n/strings";
import { CONSENT_COOKIE } from "../consent/serialize";
import { serviceRows, type CategoryView, type PolicyView, type ServiceView } from "./view";

/** Inline styles, allowed by the CSP nonce. Focus is always visible (WCAG 2.4.7). */
const CSS = `
:root{color-scheme:light;font-family:system-ui,sans-serif;line-height:1.5;color:#1b1b1b;background:#fff}
body{margin:0}
main{max-width:60rem;margin:0 auto;padding:1rem 1.25rem 3rem;overflow-wrap:break-word}
h1{font-size:1.8rem}h2{font-size:1.35rem;margin-top:2rem}h3{font-size:1.1rem}
.choices h2{margin-top:.25rem}
.choices{border:2px solid #1b1b1b;border-radius:.5rem;padding:1rem 1.25rem}
.actions{display:flex;flex-wrap:wrap;gap:.75rem;margin:1rem 0}
button{font:inherit;font-weight:600;min-width:10rem;padding:.6rem 1.2rem;border:2px solid #1b1b1b;border-radius:.4rem;background:#1b1b1b;color:#fff;cursor:pointer}
button.save{background:#fff;color:#1b1b1b}
fieldset{border:1px solid #888;border-radius:.4rem;margin:1rem 0;padding:.5rem 1rem}
legend{font-weight:600;padding:0 .25rem}
.switch{display:flex;align-items:center;gap:.5rem;margin:.4rem 0}
input[type=checkbox]{width:1.25rem;height:1.25rem;accent-color:#1b1b1b}
:focus-visible{outline:3px solid #0b57d0;outline-offset:3px}
nav.back{display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;padding:.75rem 0 0}
nav.back a{color:#0b57d0;padding:.25rem 0}
.table-scroll{overflow-x:auto;margin:.5rem 0 1.5rem;max-width:100%}
.scroll-hint{display:none;font-size:.9rem;color:#555;margin:.25rem 0}
table{border-collapse:collapse;width:100%}
@media (max-width:40rem){
th,td{padding:.3rem .35rem;font-size:.92rem}
td{overflow-wrap:anywhere}
td code{white-space:normal;overflow-wrap:anywhere}
.scroll-hint{display:block}
.actions button{flex:1 1 10rem;min-width:0}
}
caption{text-align:start;font-weight:600;padding:.25rem 0;max-width:calc(100vw - 2.5rem)}
th,td{border:1px solid #999;padding:.4rem .5rem;text-align:start;vertical-align:top}
thead th{background:#eee}
ul.plain{list-style:none;margin:0;padding:0}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;font-size:.9em}
td code{white-space:nowrap}
`;

export interface PageOptions {
  /** CSP nonce for the inline <style>. */
  nonce: string;
  /** The already-validated same-host path the form returns to. */
  returnTo: string;
  /** The already-validated same-host page the visitor came from, for the back link; none when unknown. */
  backTo?: string;
}

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Escapes text and attribute values (the five characters hono/jsx escaped). */
export function esc(value: string): string {
  return value.replace(/[&<>"']/g, (ch) => ESCAPES[ch]);
}

/** ` lang="…"` when a text is not in the page's language (a policy text's fallback), else nothing. */
function langAttr(lang: string | undefined): string {
  return lang === undefined ? "" : ` lang="${esc(lang)}"`;
}

/** A text escaped, in a `<span lang>` when it is not in the page's language. */
function inLang(text: string, lang: string | undefined): string {
  return lang === undefined ? esc(text) : `<span lang="${esc(lang)}">${esc(text)}</span>`;
}

/**
 * A Latin-script name (cookie, provider, record id) isolated from the text around it, so that
 * `_ga` or `__Host-consent-edge` keeps its order inside Arabic text (Unicode bidi, UAX #9).
 */
function bdi(html: string): string {
  return `<bdi>${html}</bdi>`;
}

/** A UI string with its placeholders filled: text escaped, values as given (already HTML). */
function uiHtml(template: string, values: Record<string, string>): string {
  return fill(template, values, esc, (v) => v);
}

/** The items of a list rendered and joined. */
function each<T>(items: readonly T[], render: (item: T, index: number) => string): string {
  return items.map(render).join("");
}

function statusText(view: PolicyView, t: UiStrings): string {
  if (!view.consent.explicit) return view.consent.source === "gpc" ? t.statusGpc : t.statusNone;
  return t.statusChosen;
}

function choices(view: PolicyView, t: UiStrings, returnTo: string): string {
  const { record, explicit } = view.consent;
  return (
    `<section class="choices" aria-labelledby="your-choices"><h2 id="your-choices">${esc(t.yourChoices)}</h2>` +
    `<p>${esc(statusText(view, t))}</p>` +
    (record ? `<p id="choice-reference">${uiHtml(t.choiceOf, { date: esc(record.date) })} ${bdi(`<code>${esc(record.id)}</code>`)}.</p>` : "") +
    (explicit && view.choices.length > 0
      ? `<ul id="current-choices">${each(view.choices, (c) => `<li>${bdi(esc(c.label))} (${inLang(c.categoryName, c.categoryNameLang)})${esc(t.colon)}${esc(c.granted ? t.allowed : t.refused)}</li>`)}</ul>`
      : "") +
    `<form method="post" action="/cookies">` +
    `<input type="hidden" name="return" value="${esc(returnTo)}"/>` +
    `<input type="hidden" name="from" value="page"/>` +
    `<input type="hidden" name="lang" value="${esc(view.lang)}"/>` +
    `<p>${esc(t.formIntro)}${
      view.consentDuration !== undefined
        ? ` ${uiHtml(t.storedFor, { cookie: bdi(`<code>${esc(CONSENT_COOKIE)}</code>`), duration: inLang(view.consentDuration, view.consentDurationLang) })}`
        : ""
    }</p>` +
    `<div class="actions"><button type="submit" name="action" value="accept">${esc(t.acceptAll)}</button>` +
    `<button type="submit" name="action" value="refuse">${esc(t.refuseAll)}</button></div>` +
    `<fieldset><legend>${esc(t.perService)}</legend>` +
    each(view.necessary, (s) => {
      const id = esc(`necessary-${s.id}`);
      return `<div class="switch"><input type="checkbox" id="${id}" checked="" disabled=""/><label for="${id}">${bdi(esc(s.provider))} (${esc(t.alwaysOn)})</label></div>`;
    }) +
    each(view.choices, (c) => {
      const id = esc(`consent-${c.key}`);
      return `<div class="switch"><input type="checkbox" id="${id}" name="${esc(c.key)}" value="on"${c.granted ? ` checked=""` : ""}/><label for="${id}">${bdi(esc(c.label))} (${inLang(c.categoryName, c.categoryNameLang)})</label></div>`;
    }) +
    `</fieldset><button type="submit" class="save" name="action" value="save">${esc(t.save)}</button></form></section>`
  );
}

/** A cookie name as code, isolated: `_ga` stays `_ga` in a right-to-left page. */
function cookieName(name: string): string {
  return bdi(`<code>${esc(name)}</code>`);
}

function cookieNames(s: ServiceView, t: UiStrings): string {
  return `<ul class="plain">${each(s.cookies, (k) => `<li>${cookieName(k.name)}${k.prefix ? esc(` ${t.prefixNote}`) : ""}${k.httpOnly ? esc(` ${t.httpOnlyNote}`) : ""}</li>`)}</ul>`;
}

/** One duration when all the service's cookies share it, else one line per cookie. */
function durations(s: ServiceView): string {
  const distinct = new Set(s.cookies.map((k) => k.duration));
  if (distinct.size <= 1) return s.cookies[0] ? inLang(s.cookies[0].duration, s.cookies[0].durationLang) : "";
  return `<ul class="plain">${each(s.cookies, (k) => `<li>${cookieName(k.name)}: ${inLang(k.duration, k.durationLang)}</li>`)}</ul>`;
}

function purposes(s: ServiceView): string {
  const overrides = s.cookies.filter((k) => k.purpose !== undefined);
  return (
    inLang(s.purpose, s.purposeLang) +
    (overrides.length > 0 ? `<ul class="plain">${each(overrides, (k) => `<li>${cookieName(k.name)}: ${inLang(k.purpose!, k.purposeLang)}</li>`)}</ul>` : "")
  );
}

function categoryTable(cat: CategoryView, t: UiStrings): string {
  const id = esc(`category-${cat.id}`);
  const caption = esc(fill(t.tableCaption, { category: cat.name }));
  // A narrow screen scrolls the table, not the page; the region is focusable so the keyboard
  // can scroll it too.
  const table =
    cat.services.length === 0
      ? `<p>${esc(t.noCookies)}</p>`
      : `<div class="table-scroll" role="region" aria-label="${caption}" tabindex="0"><p class="scroll-hint">${esc(t.scrollHint)}</p>` +
        `<table><caption>${caption}</caption><thead><tr>` +
        each([t.colProvider, t.colFunction, t.colCookies, t.colPurpose, t.colDuration], (h) => `<th scope="col">${esc(h)}</th>`) +
        `</tr></thead><tbody>` +
        each(
          cat.services.flatMap(serviceRows),
          (s) =>
            `<tr><th scope="row">${bdi(esc(s.provider))}</th><td${langAttr(s.functionLang)}>${esc(s.function)}</td><td>${cookieNames(s, t)}</td>` +
            `<td>${purposes(s)}</td><td>${durations(s)}</td></tr>`,
        ) +
        `</tbody></table></div>`;
  return `<section aria-labelledby="${id}"><h3 id="${id}"${langAttr(cat.nameLang)}>${esc(cat.name)}</h3><p${langAttr(cat.descriptionLang)}>${esc(cat.description)}</p>${table}</section>`;
}

/** The complete HTML document for the /cookies page. */
export function renderPolicyPage(view: PolicyView, options: PageOptions): string {
  const t = view.ui;
  const title = esc(view.title);
  return (
    `<!DOCTYPE html><html lang="${esc(view.lang)}" dir="${view.dir}"><head><meta charset="utf-8"/>` +
    `<meta name="viewport" content="width=device-width, initial-scale=1"/><meta name="referrer" content="same-origin"/>` +
    `<title${langAttr(view.titleLang)}>${title}</title><style nonce="${esc(options.nonce)}">${CSS}</style></head>` +
    `<body><main><nav class="back" aria-label="${esc(t.home)}">` +
    (options.backTo !== undefined ? `<a href="${esc(options.backTo)}" rel="prev">${view.dir === "rtl" ? "→" : "←"} ${esc(t.back)}</a>` : "") +
    `<a href="/">${esc(t.home)}</a></nav><h1${langAttr(view.titleLang)}>${title}</h1>` +
    choices(view, t, options.returnTo) +
    each(view.sections, (sec) => {
      const h = sec.level === 3 ? "h3" : "h2";
      return `<section><${h}${langAttr(sec.headingLang)}>${esc(sec.heading)}</${h}>${each(sec.paragraphs, (p, i) => `<p${langAttr(sec.paragraphLangs?.[i])}>${esc(p)}</p>`)}</section>`;
    }) +
    `<section aria-labelledby="cookie-tables"><h2 id="cookie-tables"${langAttr(view.tablesHeadingLang)}>${esc(view.tablesHeading)}</h2>` +
    each(view.categories, (cat) => categoryTable(cat, t)) +
    `</section></main></body></html>`
  );
}

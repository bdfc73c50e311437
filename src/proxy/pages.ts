/**
 * Short error pages for failures of the world (origin down, timeout, unknown host), in the
 * visitor's language: no stack trace, no cache.
 */
import { escapeHtml } from "../html";
import type { UiInLang } from "../i18n/request";
import { BASE_LANG, BUILTIN_UI, fill, type UiKey } from "../i18n/strings";

const ENGLISH: UiInLang = { lang: BASE_LANG, ui: BUILTIN_UI[BASE_LANG] };

/** The messages an error page can give (src/i18n/languages/*.json). */
export type ErrorMessage = Extract<UiKey, "errorNoHost" | "errorUnknownHost" | "errorInternal" | "errorUnreachable" | "errorTimeout" | "errorEncoding">;

/** An error page: its title by status, its message by key with `params` filled in, in `lang` (src/i18n/request.ts). */
export function errorPage(status: number, message: ErrorMessage, { lang, ui }: UiInLang = ENGLISH, params: Record<string, string> = {}): Response {
  const titleKey = `errorTitle${status}` as UiKey;
  const title = `${status} ${Object.hasOwn(ui, titleKey) ? ui[titleKey] : ui.errorTitle}`;
  const body =
    `<!doctype html><html lang="${escapeHtml(lang)}" dir="${escapeHtml(ui.dir)}"><meta charset="utf-8"><title>${escapeHtml(title)}</title>` +
    `<h1>${escapeHtml(title)}</h1><p>${escapeHtml(fill(ui[message], params))}</p></html>\n`;
  return new Response(body, {
    status,
    headers: {
      "content-type": "text/html; charset=utf-8",
      "content-language": lang,
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
      "content-security-policy": "default-src 'none'",
    },
  });
}

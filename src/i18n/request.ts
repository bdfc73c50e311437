/**
 * The language of a request for a policy's offer, read from the request itself: for the pages
 * that have no parsed state at hand (error pages). Pure; no I/O.
 */
import { cookieValues, parseCookieHeader } from "../cookies/cookie-header";
import { chooseLang, type LanguageOffer } from "./choose";
import { BUILTIN_UI, type UiStrings } from "./strings";

/** The built-in languages, default English: the offer where no tenant is known. */
export const BUILTIN_OFFER: LanguageOffer = Object.freeze({ strings: new Map(Object.entries(BUILTIN_UI)) });

/** `?lang=`, then `django_language`, then Accept-Language, then the default (src/i18n/choose.ts). */
export function requestLang(offer: LanguageOffer, request: Request): string {
  let query: string | undefined;
  try {
    query = new URL(request.url).searchParams.get("lang") ?? undefined;
  } catch {
    /* no usable URL: the other sources decide */
  }
  const djangoLanguage = cookieValues(parseCookieHeader(request.headers.get("cookie")), "django_language")[0];
  return chooseLang(offer, query, djangoLanguage, request.headers.get("accept-language") ?? undefined);
}

/** A language and every UI string in it. */
export interface UiInLang {
  lang: string;
  ui: UiStrings;
}

/** The request's language and its UI strings, for a policy or (no tenant known) the built-in languages. */
export function requestUi(request: Request, policy?: LanguageOffer & { uiStrings(lang: string): UiStrings }): UiInLang {
  if (policy) {
    const lang = requestLang(policy, request);
    return { lang, ui: policy.uiStrings(lang) };
  }
  const lang = requestLang(BUILTIN_OFFER, request);
  return { lang, ui: BUILTIN_UI[lang] };
}

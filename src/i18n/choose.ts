/**
 * The choice of a page's language among those a policy offers: `?lang=`, then the portal's
 * `django_language` cookie, then Accept-Language with its weights, then the policy's default
 * language. Pure; no I/O.
 */
import { qualityList } from "../pages/negotiate";
import { BASE_LANG } from "./strings";

/** What a policy offers: its languages (CompiledPolicy.strings) and its default language. */
export interface LanguageOffer {
  readonly strings: ReadonlyMap<string, unknown>;
  readonly defaultLanguage?: string;
}

/** The offer's default language: `defaultLanguage`, else English. */
export function defaultLang(offer: Pick<LanguageOffer, "defaultLanguage">): string {
  return offer.defaultLanguage ?? BASE_LANG;
}

/** `lang` when the offer has it, else the default language. */
export function shownLang(offer: LanguageOffer, lang: string): string {
  return offer.strings.has(lang) ? lang : defaultLang(offer);
}

/**
 * `de`, `pt-BR`, `pt_br`, `PT` → the offered language of the tag's primary subtag, or undefined.
 * Django writes `django_language` as it names its languages (`pt-br`, `zh-hans`); browsers send
 * `pt-BR`; the offer holds primary subtags only.
 */
export function offeredLang(offer: LanguageOffer, tag: string | undefined): string | undefined {
  if (!tag) return undefined;
  const primary = tag.trim().toLowerCase().split(/[-_]/, 1)[0];
  return offer.strings.has(primary) ? primary : undefined;
}

/**
 * The best offered language of an Accept-Language header (RFC 9110 §12.5.4): highest q-value
 * first, header order on ties; `q=0` excludes; `*` stands for the default language.
 */
export function langFromAcceptLanguage(offer: LanguageOffer, header: string | undefined): string | undefined {
  if (!header) return undefined;
  let best: string | undefined;
  let bestQ = 0;
  for (const [range, q] of qualityList(header, 32)) {
    const lang = range === "*" ? defaultLang(offer) : offeredLang(offer, range);
    if (lang && q > bestQ) {
      best = lang;
      bestQ = q;
    }
  }
  return best;
}

/** The page's language; a source naming a language not offered is skipped. */
export function chooseLang(
  offer: LanguageOffer,
  query: string | undefined,
  djangoLanguage: string | undefined,
  acceptLanguage: string | undefined,
): string {
  return offeredLang(offer, query) ?? offeredLang(offer, djangoLanguage) ?? langFromAcceptLanguage(offer, acceptLanguage) ?? defaultLang(offer);
}

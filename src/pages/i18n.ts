/** Every UI string of the /cookies page in English and French, and the pure choice of language. No I/O. */
import type { Lang, LocalizedText } from "../policy/types";
import { qualityList } from "./negotiate";

export const UI = {
  en: {
    yourChoices: "Your choices",
    statusNone: "You have not made a choice yet: only strictly necessary cookies are used.",
    statusGpc:
      "Your browser sends a Global Privacy Control signal: only strictly necessary cookies are used until you choose otherwise here.",
    statusChosen: "You have made a choice:",
    choiceOf: (date: string) => `Your choice of ${date}, reference`,
    formIntro: "You can change your mind at any time.",
    storedFor: (duration: string) => `Your choice is kept in the cookies_preferences cookie for ${duration}.`,
    acceptAll: "Accept all",
    refuseAll: "Refuse all",
    perService: "Choose service by service",
    alwaysOn: "always on",
    save: "Save my choices",
    cookiesHeading: "Cookies used on this site",
    noCookies: "No cookies in this category.",
    colProvider: "Provider",
    colFunction: "Function and location",
    colCookies: "Cookie names",
    colPurpose: "Purpose",
    colDuration: "Duration",
    prefixNote: "(prefix)",
    httpOnlyNote: "(HttpOnly)",
    tableCaption: (category: string) => `Cookies in the category: ${category}`,
    colon: ": ",
    allowed: "allowed",
    refused: "refused",
    back: "Back to the page you came from",
    home: "Portal home",
    scrollHint: "Scroll sideways to see the whole table.",
  },
  fr: {
    yourChoices: "Vos choix",
    statusNone: "Vous n'avez pas encore fait de choix : seuls les cookies strictement nécessaires sont utilisés.",
    statusGpc:
      "Votre navigateur envoie un signal Global Privacy Control : seuls les cookies strictement nécessaires sont utilisés tant que vous n'en décidez pas autrement ici.",
    statusChosen: "Vous avez fait un choix :",
    choiceOf: (date: string) => `Votre choix du ${date}, référence`,
    formIntro: "Vous pouvez changer d'avis à tout moment.",
    storedFor: (duration: string) => `Votre choix est conservé dans le cookie cookies_preferences pendant ${duration}.`,
    acceptAll: "Tout accepter",
    refuseAll: "Tout refuser",
    perService: "Choisir service par service",
    alwaysOn: "toujours actif",
    save: "Enregistrer mes choix",
    cookiesHeading: "Cookies utilisés sur ce site",
    noCookies: "Aucun cookie dans cette catégorie.",
    colProvider: "Fournisseur",
    colFunction: "Fonction et emplacement",
    colCookies: "Noms des cookies",
    colPurpose: "Finalité",
    colDuration: "Durée",
    prefixNote: "(préfixe)",
    httpOnlyNote: "(HttpOnly)",
    tableCaption: (category: string) => `Cookies de la catégorie : ${category}`,
    colon: " : ",
    allowed: "autorisé",
    refused: "refusé",
    back: "Retour à la page précédente",
    home: "Accueil du portail",
    scrollHint: "Faites défiler horizontalement pour voir tout le tableau.",
  },
} as const satisfies Record<Lang, Record<string, string | ((arg: string) => string)>>;

export type UiStrings = (typeof UI)[Lang];

/** The text in `lang`, or its English version when the policy has no translation. */
export function localize(text: LocalizedText, lang: Lang): string {
  if (typeof text === "string") return text;
  return (lang === "fr" ? text.fr : undefined) ?? text.en;
}

/** `en`, `fr`, `fr-FR`, `FR_ca` → a supported language, or undefined. */
function supportedLang(tag: string | undefined): Lang | undefined {
  if (!tag) return undefined;
  const primary = tag.trim().toLowerCase().split(/[-_]/, 1)[0];
  return primary === "en" || primary === "fr" ? primary : undefined;
}

/**
 * The best supported language of an Accept-Language header (RFC 9110 §12.5.4): highest
 * q-value first, header order on ties; `q=0` excludes; `*` means English.
 */
export function langFromAcceptLanguage(header: string | undefined): Lang | undefined {
  if (!header) return undefined;
  let best: Lang | undefined;
  let bestQ = 0;
  for (const [r, q] of qualityList(header, 32)) {
    const lang = r === "*" ? "en" : supportedLang(r);
    if (lang && q > bestQ) {
      best = lang;
      bestQ = q;
    }
  }
  return best;
}

/**
 * The page language: `?lang=`, then the portal's `django_language` cookie, then
 * Accept-Language; a source naming an unsupported language is skipped; English last.
 */
export function chooseLang(query: string | undefined, djangoLanguage: string | undefined, acceptLanguage: string | undefined): Lang {
  return supportedLang(query) ?? supportedLang(djangoLanguage) ?? langFromAcceptLanguage(acceptLanguage) ?? "en";
}

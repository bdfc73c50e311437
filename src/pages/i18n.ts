/** The language helpers the /cookies pages use (src/i18n/ holds them): the choice of language and policy texts in it. */
export { chooseLang, langFromAcceptLanguage, offeredLang, type LanguageOffer } from "../i18n/choose";
export { formatDateTime, formatDuration, localizeText, type Localized } from "../i18n/localize";

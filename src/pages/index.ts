/** The /cookies policy page and preference centre: routes, and the pure renderers they use. */
export { cookiesRoutes, cookiesTrailingSlash, MAX_FORM_BYTES } from "./routes";
export { buildPolicyView, type PolicyView } from "./view";
export { renderPolicyPage } from "./policy-page";
export { renderPolicyMarkdown } from "./markdown";
export { buildDeclaration, type CookieDeclarationJson } from "./declaration";
export { chooseLang, localizeText } from "./i18n";
export { chooseFormat, type PageFormat } from "./negotiate";
export { parsePreferenceForm, safeReturnPath } from "./form";

/** The consent module's public surface: read and write `cookies_preferences`, read Sec-GPC. Pure. */
export { GPC_REFUSAL, isGpc, parseConsent, type ParseConsentOptions } from "./parse";
export {
  CONSENT_COOKIE,
  CONSENT_MAX_AGE,
  consentSetCookie,
  serializeConsent,
  type ConsentSetCookieOptions,
} from "./serialize";
export { indexConsentPolicy, MAX_CONSENT_VALUE_LENGTH } from "./consent-index";
export { NECESSARY_ONLY, type Consent } from "./types";

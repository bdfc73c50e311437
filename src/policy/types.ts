/**
 * The tenant policy model: plain data, as read from `policies/` and validated by
 * `validate.ts`. Pure types; no I/O.
 */

import type { UiKey, UiStrings } from "../i18n/strings";

/** A language: its lower-case primary language subtag ("de", "ar"; LANG_TAG_PATTERN in src/i18n/strings.ts). */
export type Lang = string;

/**
 * A text per language (`{ "en": "…", "de": "…" }`), which must hold the policy's default
 * language (the field-by-field fallback); a plain string is the same in every language.
 */
export type LocalizedText = string | Readonly<Record<Lang, string>>;

export const DURATION_UNITS = ["years", "months", "weeks", "days", "hours", "minutes", "seconds"] as const;
export type DurationUnit = (typeof DURATION_UNITS)[number];
/**
 * A duration as data, written out in the page's language by `Intl.DurationFormat`
 * (`{ "months": 6 }` → "6 Monate", "6 أشهر"), or a cookie that lives until the browser closes.
 */
export type DurationSpec = Readonly<{ session: true }> | Readonly<Partial<Record<DurationUnit, number>>>;

/** UI strings a policy adds or overrides, per language: any key of src/i18n/languages/en.json. */
export type UiOverrides = Readonly<Record<Lang, Readonly<Partial<Record<UiKey, string>>>>>;

/** The portal's own cookie banner, hidden while the worker's is due. */
export interface PortalBannerDeclaration {
  /** A CSS selector list matching the portal's banner (`#cookie-law-banner, .ods-cookie-consent`). */
  hide: string;
}

export type Category = "necessary" | "functional" | "statistics" | "marketing";
export const CATEGORIES: readonly Category[] = ["necessary", "functional", "statistics", "marketing"];

/** One cookie (or family of cookies sharing a prefix) that a service sets. */
export interface CookieDeclaration {
  /** The exact cookie name, or the prefix when `prefix` is true (`_ga_`, `_pk_id.`). Case-sensitive, as browsers compare names. */
  name: string;
  prefix?: boolean;
  /** How long the cookie lives: `{ "months": 6 }`, `{ "session": true }`, or a text ("30 minutes of inactivity"). */
  duration: LocalizedText | DurationSpec;
  /** Overrides the service's "Function and location" for this cookie (one table row per cookie). */
  function?: LocalizedText;
  /** Overrides the service's purpose for this cookie. */
  purpose?: LocalizedText;
  /** The cookie is set HttpOnly (shown in the table; expiry works either way). */
  httpOnly?: boolean;
  /** The cookie is set with `Secure`: its expiry must be `Secure` too. */
  secure?: boolean;
  /** Paths the cookie may be set on; default `["/"]`. Expiry emits one line per path. */
  paths?: string[];
  /**
   * Domains the cookie may be set on; default `["host"]`. `"host"` is host-only (no Domain
   * attribute), `"parent"` is the request host's parent domain (`parentDomain`, `parentDomains`, or
   * derived from the host); any other value is a literal domain.
   */
  domains?: string[];
}

/** Hosts and inline markers identifying a service's scripts in HTML (script blocking). */
export interface BlockingDeclaration {
  hosts?: string[];
  markers?: string[];
}

export interface ServiceDeclaration {
  /** Stable id, unique in the policy ("ga", "matomo", "opendatasoft"). */
  id: string;
  /** The key this service answers to in `cookies_preferences` ("ga", "matomo", "xiti", "at"). */
  consentKey: string;
  category: Category;
  /** Service provider's name, as in the policy table. */
  provider: string;
  /** "Function and location" column. */
  function: LocalizedText;
  /** "Purposes" column. */
  purpose: LocalizedText;
  cookies: CookieDeclaration[];
  block?: BlockingDeclaration;
}

export interface PolicySection {
  heading: LocalizedText;
  /** Heading level below the page title (2 = section, 3 = subsection). */
  level?: 2 | 3;
  /** Paragraphs; `{site}` is replaced by the tenant's `siteUrl`. */
  paragraphs: LocalizedText[];
}

export interface CategoryDeclaration {
  id: Category;
  name: LocalizedText;
  description: LocalizedText;
}

export interface BannerDeclaration {
  enabled: boolean;
  text?: LocalizedText;
}

/** A tenant's complete policy, after the base policy and the tenant file are merged. */
export interface TenantPolicy {
  /** Tenant id, the policy file's name ("maia"). */
  id: string;
  /** Hostnames served for this tenant, lower-case, no port ("maia.opendatasoft.com"). */
  hosts: string[];
  /** Where requests are proxied; default `https://<hosts[0]>`. The worker var ORIGIN overrides it. */
  origin?: string;
  /** The platform URL named in the policy text ("https://maia.opendatasoft.com"). */
  siteUrl: string;
  /**
   * Registrable parent domain for cookies declared with the `"parent"` domain ("opendatasoft.com"),
   * for the hosts under it. Other hosts (custom domains) follow `parentDomains`, else their own name
   * minus its first label (`data.example.org` → `example.org`); see `CompiledPolicy.parentDomainFor`.
   */
  parentDomain?: string;
  /**
   * Per-host parent domains, for hosts where the rule above guesses wrong
   * (`{ "portal.data.example.org": "example.org" }`). Each key is one of `hosts`; each value is that
   * host or a parent of it, with at least two labels.
   */
  parentDomains?: Record<string, string>;
  /**
   * `"enforce"` (default) strips, expires, filters and rewrites. `"report-only"` decides exactly the
   * same way and logs it, but changes nothing: the rollout mode (docs/deploying.md, "Rolling out").
   */
  mode?: PolicyMode;
  /** Changes whenever the policy changes in a way that needs consent again. */
  revision: string;
  title: LocalizedText;
  /** The policy text, in order. */
  sections: PolicySection[];
  categories: CategoryDeclaration[];
  services: ServiceDeclaration[];
  /** Expire cookies no policy declares when a request carries them (host-only, `/`). Default true. */
  expireUnknown?: boolean;
  banner?: BannerDeclaration;
  /**
   * The consent-derived Content-Security-Policy (src/csp/): `"enforce"` (default) sends it as
   * Content-Security-Policy, `"report-only"` as Content-Security-Policy-Report-Only, `"off"` not at all.
   * Where it is not enforced, the HTML rewriter's full coverage runs instead.
   */
  csp?: CspMode;
  /**
   * CSP host-sources the portal needs whatever the visitor chose (its static assets, map tiles,
   * fonts, APIs): `static.example.org`, `*.tiles.example.org`, `https://cdn.example.org:8443`
   * for every directive, or `{ "source": "fonts.gstatic.com", "directives": ["font-src"] }` for
   * the named ones only. Each is trusted as much as the portal itself (SECURITY.md); a wildcard
   * over the tenants' own parent domain is refused. A tenant's list is added to its base's.
   */
  necessarySources?: NecessarySource[];
  /** Fraction (0–1) of document responses that ask the browser for CSP violation reports. Default 0.02. */
  cspReportSample?: number;
  /**
   * What the HTML rewriter reads while the CSP is enforced. `"scan"` (default): every page of a
   * visitor without full consent is parsed for what a CSP cannot stop (inline code naming a
   * tracker, speculation rules, connect-only hints, meta refresh). `"csp-only"`: the operator
   * declares the portal's own markup carries none of these, so the enforced CSP does all the
   * blocking and pages pass unparsed (the banner is written after the document's end). Ignored,
   * and the page scanned, whenever the CSP is not enforced (docs/csp.md).
   */
  markup?: MarkupMode;
  /**
   * The language of visitors whose request names none this policy offers, and the language every
   * text of the policy must have (the field-by-field fallback). Default "en".
   */
  defaultLanguage?: Lang;
  /**
   * UI strings per language (docs/i18n.md): for a built-in language, the strings given replace the
   * built-in ones; a language that is not built in is added, and must give every key.
   */
  ui?: UiOverrides;
  /** The portal's own cookie banner, hidden by a CSS rule shipped with the worker's banner while that is due. */
  portalBanner?: PortalBannerDeclaration;
}

export type MarkupMode = "scan" | "csp-only";
export const MARKUP_MODES: readonly MarkupMode[] = ["scan", "csp-only"];

/** The CSP directives a `necessarySources` entry may be limited to. */
export const SOURCE_DIRECTIVES = [
  "script-src", "style-src", "img-src", "font-src", "connect-src", "media-src", "frame-src", "worker-src", "manifest-src", "form-action",
] as const;
export type SourceDirective = (typeof SOURCE_DIRECTIVES)[number];

/** A `necessarySources` entry: a host-source for every directive, or for the named ones. */
export type NecessarySource = string | { source: string; directives: SourceDirective[] };

/** The host-source of an entry, whatever its form. */
export function sourceOf(entry: NecessarySource): string {
  return typeof entry === "string" ? entry : entry.source;
}

export type PolicyMode = "enforce" | "report-only";
export const POLICY_MODES: readonly PolicyMode[] = ["enforce", "report-only"];

export type CspMode = "enforce" | "report-only" | "off";
export const CSP_MODES: readonly CspMode[] = ["enforce", "report-only", "off"];

/** What a cookie name resolves to in a policy. */
export interface CookieClassification {
  service: ServiceDeclaration;
  cookie: CookieDeclaration;
}

/** A validated policy with its lookup structures, built once per isolate. */
export interface CompiledPolicy extends TenantPolicy {
  /** Resolves a cookie name (exact names first, then the longest prefix); undefined when unknown. */
  classify(name: string): CookieClassification | undefined;
  /** Services by consent key. */
  servicesByKey: ReadonlyMap<string, ServiceDeclaration[]>;
  /** The domain `"parent"` stands for on this host (a hostname, no port); undefined for IPs and one-label names. */
  parentDomainFor(host: string): string | undefined;
  /**
   * The languages this policy speaks, sorted, each with every UI string (the built-in ones with the
   * policy's `ui` overrides, and the languages `ui` adds). A Map, so that it stays out of the
   * policy's canonical JSON and hash (src/proof/policy-hash.ts): it is derived, not policy data.
   */
  strings: ReadonlyMap<Lang, UiStrings>;
  /** Every UI string in `lang`; the default language's for a language not offered. */
  uiStrings(lang: Lang): UiStrings;
}

/**
 * Turns a compiled policy and the visitor's consent into plain, localised view data that the
 * HTML, Markdown and JSON renderers share. Pure; no I/O.
 */
import { CONSENT_COOKIE } from "../consent/serialize";
import type { Consent } from "../consent/types";
import type { Category, CompiledPolicy, Lang } from "../policy/types";
import { localize, UI } from "./i18n";

export interface CookieView {
  name: string;
  prefix: boolean;
  duration: string;
  /** Set only when the cookie overrides its service's "Function and location". */
  function?: string;
  /** Set only when the cookie overrides its service's purpose. */
  purpose?: string;
  httpOnly: boolean;
}

export interface ServiceView {
  id: string;
  consentKey: string;
  category: Category;
  provider: string;
  function: string;
  purpose: string;
  cookies: CookieView[];
}

export interface CategoryView {
  id: Category;
  name: string;
  description: string;
  necessary: boolean;
  services: ServiceView[];
}

export interface SectionView {
  heading: string;
  level: 2 | 3;
  paragraphs: string[];
}

/** One switch of the preference form: a consent key and the services that answer to it. */
export interface ChoiceView {
  key: string;
  /** Providers answering to the key, joined ("Google Analytics"). */
  label: string;
  categoryName: string;
  granted: boolean;
}

export interface ConsentView {
  explicit: boolean;
  source: Consent["source"];
  /** Granted consent keys, sorted. */
  granted: string[];
  /** The choice's record id and its time, in the page's language (UTC), when the consent carries them. */
  record?: { id: string; date: string };
}

export interface PolicyView {
  lang: Lang;
  tenant: string;
  revision: string;
  siteUrl: string;
  title: string;
  sections: SectionView[];
  /**
   * The heading over the cookie tables: the policy's last section when it is an empty h2 (the
   * Opendatasoft text ends with "What cookies are used on the … platform", the tables' own
   * heading), which then leaves `sections`; else a generic "Cookies used on this site".
   */
  tablesHeading: string;
  categories: CategoryView[];
  /** Every service, in policy order. */
  services: ServiceView[];
  /** Services of the "necessary" category, always on. */
  necessary: ServiceView[];
  choices: ChoiceView[];
  consent: ConsentView;
  /** How long the policy says the choice is kept (the consent cookie's declared duration). */
  consentDuration?: string;
}

/** Replaces every `{site}` placeholder with the tenant's platform URL. */
export function fillSite(text: string, siteUrl: string): string {
  return text.replaceAll("{site}", siteUrl);
}

export function buildPolicyView(policy: CompiledPolicy, consent: Consent, lang: Lang): PolicyView {
  const site = (t: Parameters<typeof localize>[0]) => fillSite(localize(t, lang), policy.siteUrl);
  const services: ServiceView[] = policy.services.map((s) => ({
    id: s.id,
    consentKey: s.consentKey,
    category: s.category,
    provider: s.provider,
    function: site(s.function),
    purpose: site(s.purpose),
    cookies: s.cookies.map((k) => ({
      name: k.name,
      prefix: k.prefix === true,
      duration: localize(k.duration, lang),
      ...(k.function === undefined ? {} : { function: site(k.function) }),
      ...(k.purpose === undefined ? {} : { purpose: site(k.purpose) }),
      httpOnly: k.httpOnly === true,
    })),
  }));

  const categoryNames = new Map<Category, string>();
  const categories: CategoryView[] = policy.categories.map((cat) => {
    const name = localize(cat.name, lang);
    categoryNames.set(cat.id, name);
    return {
      id: cat.id,
      name,
      description: site(cat.description),
      necessary: cat.id === "necessary",
      services: services.filter((s) => s.category === cat.id),
    };
  });

  const choices: ChoiceView[] = [];
  const byKey = new Map<string, ChoiceView>();
  for (const s of services) {
    if (s.category === "necessary") continue;
    const existing = byKey.get(s.consentKey);
    if (existing) {
      if (!existing.label.split(", ").includes(s.provider)) existing.label += `, ${s.provider}`;
      continue;
    }
    const choice = {
      key: s.consentKey,
      label: s.provider,
      categoryName: categoryNames.get(s.category) ?? s.category,
      granted: consent.granted.has(s.consentKey),
    };
    byKey.set(s.consentKey, choice);
    choices.push(choice);
  }

  const sections: SectionView[] = policy.sections.map((sec) => ({
    heading: site(sec.heading),
    level: sec.level ?? 2,
    paragraphs: sec.paragraphs.map(site),
  }));
  const last = sections.at(-1);
  const tablesHeading = last?.level === 2 && last.paragraphs.length === 0 ? sections.pop()!.heading : UI[lang].cookiesHeading;

  const view: PolicyView = {
    lang,
    tenant: policy.id,
    revision: policy.revision,
    siteUrl: policy.siteUrl,
    title: site(policy.title),
    sections,
    tablesHeading,
    categories,
    services,
    necessary: services.filter((s) => s.category === "necessary"),
    choices,
    consent: { explicit: consent.explicit, source: consent.source, granted: [...consent.granted].sort() },
  };
  if (consent.explicit && consent.recordId && consent.decidedAt !== undefined && Number.isFinite(consent.decidedAt)) {
    view.consent.record = { id: consent.recordId, date: formatDecisionTime(consent.decidedAt, lang) };
  }
  const declared = policy.classify(CONSENT_COOKIE);
  if (declared) view.consentDuration = localize(declared.cookie.duration, lang);
  return view;
}

const DECISION_TIME: Record<Lang, Intl.DateTimeFormat> = {
  en: new Intl.DateTimeFormat("en-GB", { dateStyle: "long", timeStyle: "short", timeZone: "UTC" }),
  fr: new Intl.DateTimeFormat("fr-FR", { dateStyle: "long", timeStyle: "short", timeZone: "UTC" }),
};

/** "1 December 2026 at 08:58 UTC": the time a choice was made, as the visitor reads it next to its reference. */
export function formatDecisionTime(time: number, lang: Lang): string {
  return `${DECISION_TIME[lang].format(time)} UTC`;
}

/**
 * The table rows of one service: the service itself when no cookie has its own "Function and
 * location", else one row per cookie (as the Opendatasoft table lists each necessary cookie),
 * with the cookie's function and purpose, or the service's where the cookie has none.
 */
export function serviceRows(s: ServiceView): ServiceView[] {
  if (!s.cookies.some((k) => k.function !== undefined)) return [s];
  return s.cookies.map(({ function: fn, purpose, ...cookie }) => ({
    ...s,
    function: fn ?? s.function,
    purpose: purpose ?? s.purpose,
    cookies: [cookie],
  }));
}

/** The non-necessary consent keys of a policy: what "Accept all" grants. */
export function optionalConsentKeys(policy: CompiledPolicy): string[] {
  const keys = new Set<string>();
  for (const s of policy.services) if (s.category !== "necessary") keys.add(s.consentKey);
  return [...keys];
}

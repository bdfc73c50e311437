/**
 * Turns a compiled policy and the visitor's consent into plain, localised view data that the
 * HTML, Markdown and JSON renderers share. Pure; no I/O.
 */
import { CONSENT_COOKIE } from "../consent/serialize";
import type { Consent } from "../consent/types";
import { defaultLang, shownLang } from "../i18n/choose";
import { formatDateTime, localizeDuration, localizeText, type Localized } from "../i18n/localize";
import { BASE_LANG, BUILTIN_UI, type UiStrings } from "../i18n/strings";
import type { Category, CompiledPolicy, Lang, LocalizedText } from "../policy/types";

/**
 * Every text of the view is in the page's language, except where a policy text has no version in
 * it: that field is then in the policy's default language, and its sibling `<field>Lang` says so
 * (the HTML puts it in a `lang` attribute). Absent when the text is in the page's language.
 */
type Lang_<K extends string> = { [P in `${K}Lang`]?: Lang };

export interface CookieView extends Lang_<"duration" | "function" | "purpose"> {
  name: string;
  prefix: boolean;
  duration: string;
  /** Set only when the cookie overrides its service's "Function and location". */
  function?: string;
  /** Set only when the cookie overrides its service's purpose. */
  purpose?: string;
  httpOnly: boolean;
}

export interface ServiceView extends Lang_<"function" | "purpose"> {
  id: string;
  consentKey: string;
  category: Category;
  provider: string;
  function: string;
  purpose: string;
  cookies: CookieView[];
}

export interface CategoryView extends Lang_<"name" | "description"> {
  id: Category;
  name: string;
  description: string;
  necessary: boolean;
  services: ServiceView[];
}

export interface SectionView extends Lang_<"heading"> {
  heading: string;
  level: 2 | 3;
  paragraphs: string[];
  /** Per paragraph, as `<field>Lang`; absent when every paragraph is in the page's language. */
  paragraphLangs?: Array<Lang | undefined>;
}

/** One switch of the preference form: a consent key and the services that answer to it. */
export interface ChoiceView extends Lang_<"categoryName"> {
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

export interface PolicyView extends Lang_<"title" | "tablesHeading" | "consentDuration"> {
  lang: Lang;
  /** "ltr" or "rtl": the direction of the page's language. */
  dir: "ltr" | "rtl";
  /** The UI strings of the page's language (the policy's overrides included). Not part of the JSON. */
  ui: UiStrings;
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
  const ui = policy.uiStrings(lang);
  // A language the policy does not offer is shown in its default language, and said so.
  lang = shownLang(policy, lang);
  const fallbackLang = defaultLang(policy);
  /** `{ [key]: text, [key + "Lang"]: its language when not the page's }`. */
  function field<K extends string>(key: K, l: Localized): Record<K, string> & Lang_<K> {
    const out = { [key]: l.text } as Record<K, string> & Lang_<K>;
    if (l.lang !== undefined && l.lang !== lang) (out as Record<string, string>)[`${key}Lang`] = l.lang;
    return out;
  }
  const text = (t: LocalizedText): Localized => {
    const l = localizeText(t, lang, fallbackLang);
    return { ...l, text: fillSite(l.text, policy.siteUrl) };
  };
  const services: ServiceView[] = policy.services.map((s) => ({
    id: s.id,
    consentKey: s.consentKey,
    category: s.category,
    provider: s.provider,
    ...field("function", text(s.function)),
    ...field("purpose", text(s.purpose)),
    cookies: s.cookies.map((k) => ({
      name: k.name,
      prefix: k.prefix === true,
      ...field("duration", localizeDuration(k.duration, lang, fallbackLang, ui)),
      ...(k.function === undefined ? {} : field("function", text(k.function))),
      ...(k.purpose === undefined ? {} : field("purpose", text(k.purpose))),
      httpOnly: k.httpOnly === true,
    })),
  }));

  const categoryNames = new Map<Category, Localized>();
  const categories: CategoryView[] = policy.categories.map((cat) => {
    const name = localizeText(cat.name, lang, fallbackLang);
    categoryNames.set(cat.id, name);
    return {
      id: cat.id,
      ...field("name", name),
      ...field("description", text(cat.description)),
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
      ...field("categoryName", categoryNames.get(s.category) ?? { text: s.category }),
      granted: consent.granted.has(s.consentKey),
    };
    byKey.set(s.consentKey, choice);
    choices.push(choice);
  }

  const sections: SectionView[] = policy.sections.map((sec) => {
    const paragraphs = sec.paragraphs.map(text);
    const langs = paragraphs.map((p) => (p.lang !== undefined && p.lang !== lang ? p.lang : undefined));
    return {
      ...field("heading", text(sec.heading)),
      level: sec.level ?? 2,
      paragraphs: paragraphs.map((p) => p.text),
      ...(langs.some((l) => l !== undefined) ? { paragraphLangs: langs } : {}),
    };
  });
  const last = sections.at(-1);
  const tablesHeading: Localized =
    last?.level === 2 && last.paragraphs.length === 0
      ? (sections.pop(), { text: last.heading, lang: last.headingLang })
      : { text: ui.cookiesHeading };

  const view: PolicyView = {
    lang,
    dir: ui.dir === "rtl" ? "rtl" : "ltr",
    ui,
    tenant: policy.id,
    revision: policy.revision,
    siteUrl: policy.siteUrl,
    ...field("title", text(policy.title)),
    sections,
    ...field("tablesHeading", tablesHeading),
    categories,
    services,
    necessary: services.filter((s) => s.category === "necessary"),
    choices,
    consent: { explicit: consent.explicit, source: consent.source, granted: [...consent.granted].sort() },
  };
  if (consent.explicit && consent.recordId && consent.decidedAt !== undefined && Number.isFinite(consent.decidedAt)) {
    view.consent.record = { id: consent.recordId, date: formatDateTime(consent.decidedAt, ui) };
  }
  const declared = policy.classify(CONSENT_COOKIE);
  if (declared) Object.assign(view, field("consentDuration", localizeDuration(declared.cookie.duration, lang, fallbackLang, ui)));
  return view;
}

/** "1 December 2026 at 08:58 UTC": the time a choice was made, in `lang` (the policy's UI strings say how). */
export function formatDecisionTime(time: number, lang: Lang, policy?: Pick<CompiledPolicy, "uiStrings">): string {
  return formatDateTime(time, policy ? policy.uiStrings(lang) : (BUILTIN_UI[lang] ?? BUILTIN_UI[BASE_LANG]));
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

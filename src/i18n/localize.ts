/**
 * Policy texts in a language, with the field-by-field fallback to the policy's default language,
 * and dates and durations written out by `Intl`. Pure; no I/O.
 */
import type { DurationSpec, Lang, LocalizedText } from "../policy/types";
import { DURATION_UNITS, type DurationUnit } from "../policy/types";
import { fill, UNIT_KEYS, type UiStrings } from "./strings";

/** A text and the language it is really in (undefined: a plain string, the same in every language). */
export interface Localized {
  text: string;
  lang?: Lang;
}

/**
 * The whole field in `lang`, else in `defaultLang` (validated policies always have it), never a
 * mix: the fallback is per field. A plain string is returned as it is.
 */
export function localizeText(text: LocalizedText, lang: Lang, defaultLang: Lang): Localized {
  if (typeof text === "string") return { text };
  for (const l of [lang, defaultLang]) {
    if (Object.hasOwn(text, l)) return { text: text[l], lang: l };
  }
  // Unvalidated data (a library user's policy object): any language it has rather than a crash.
  const [first] = Object.entries(text);
  return first ? { text: first[1], lang: first[0] } : { text: "" };
}

/** A duration declared as data (`{ "months": 6 }`, `{ "session": true }`), not as text. */
export function isDurationSpec(d: unknown): d is DurationSpec {
  return typeof d === "object" && d !== null && (Object.hasOwn(d, "session") || DURATION_UNITS.some((u) => Object.hasOwn(d, u)));
}

/** Intl.DurationFormat (ECMA-402, 2025): in workerd and Node 23+, not yet in every TypeScript lib a library user compiles with. */
interface DurationFormat {
  format(duration: Readonly<Partial<Record<string, number>>>): string;
}
const DurationFormat = (Intl as unknown as {
  DurationFormat: { new (locale: string, options: { style: "long" }): DurationFormat; supportedLocalesOf(locale: string): string[] };
}).DurationFormat;

// Whether this runtime's Intl has data for a locale (workerd's ICU lacks some, Basque among them).
const KNOWN = new Map<string, boolean>();
function intlKnows(locale: string): boolean {
  let known = KNOWN.get(locale);
  if (known === undefined) {
    try {
      known = DurationFormat.supportedLocalesOf(locale).length > 0 && Intl.DateTimeFormat.supportedLocalesOf(locale).length > 0;
    } catch {
      known = false;
    }
    KNOWN.set(locale, known);
  }
  return known;
}

// Formatters are costly to build: one per language, kept for the isolate's life.
const DURATION_FORMATS = new Map<string, DurationFormat>();
const DATE_FORMATS = new Map<string, Intl.DateTimeFormat>();

function cached<F>(map: Map<string, F>, lang: string, make: () => F): F {
  let f = map.get(lang);
  if (!f) map.set(lang, (f = make()));
  return f;
}

/** "6 Monate", "أسبوعان", "Session (…)": a declared duration in the language of `ui`, through Intl.DurationFormat. */
export function formatDuration(spec: DurationSpec, ui: UiStrings): string {
  if ("session" in spec) return ui.durationSession;
  if (!intlKnows(ui.locale)) {
    // The language's own unit strings, where Intl has no data for it and the language gives them all.
    const parts = DURATION_UNITS.filter((u) => (spec as Partial<Record<DurationUnit, number>>)[u] !== undefined);
    if (parts.length > 0 && parts.every((u) => ui[UNIT_KEYS[u]] !== undefined)) {
      return parts.map((u) => fill(ui[UNIT_KEYS[u]]!, { n: String((spec as Partial<Record<DurationUnit, number>>)[u]) })).join(", ");
    }
  }
  return cached(DURATION_FORMATS, ui.locale, () => new DurationFormat(ui.locale, { style: "long" })).format(spec);
}

/** A cookie's duration, as data or text, in `lang`. */
export function localizeDuration(d: LocalizedText | DurationSpec, lang: Lang, defaultLang: Lang, ui: UiStrings): Localized {
  return isDurationSpec(d) ? { text: formatDuration(d, ui), lang } : localizeText(d, lang, defaultLang);
}

/** "1. Dezember 2026 um 08:58 UTC": a time in the language of `ui`, in UTC, as the visitor reads it next to its reference. */
export function formatDateTime(time: number, ui: UiStrings): string {
  // Where Intl has no data for the language: ISO 8601's numeric date and time, which reads the
  // same in every language, rather than English month names.
  if (!intlKnows(ui.locale)) return `${new Date(time).toISOString().slice(0, 16).replace("T", " ")} UTC`;
  const format = cached(DATE_FORMATS, ui.locale, () =>
    new Intl.DateTimeFormat(ui.locale, {
      year: "numeric", month: "long", day: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: "UTC", timeZoneName: "short",
    }),
  );
  return format.format(time);
}

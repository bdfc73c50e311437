/**
 * The UI strings of the built-in languages, one JSON file each under languages/ (data, not code),
 * and the filling of their `{placeholders}`. Pure; no I/O. English is the reference: its keys are
 * the keys every language must have (test/i18n/strings.test.ts; the policy validator for
 * languages a policy adds in its `ui` field).
 */
import ar from "./languages/ar.json";
import ca from "./languages/ca.json";
import de from "./languages/de.json";
import en from "./languages/en.json";
import es from "./languages/es.json";
import eu from "./languages/eu.json";
import fr from "./languages/fr.json";
import it from "./languages/it.json";
import nl from "./languages/nl.json";
import pt from "./languages/pt.json";
import sv from "./languages/sv.json";

export type UiKey = keyof typeof en;

/**
 * Optional strings, one per duration unit (`"{n} hilabete"`): how a language writes a duration
 * where the runtime's Intl has no data for its locale (workerd lacks Basque, for one). Where Intl
 * knows the locale, Intl.DurationFormat writes durations and these are not read.
 */
export const UNIT_KEYS = {
  years: "unitYears",
  months: "unitMonths",
  weeks: "unitWeeks",
  days: "unitDays",
  hours: "unitHours",
  minutes: "unitMinutes",
  seconds: "unitSeconds",
} as const;
export type UnitKey = (typeof UNIT_KEYS)[keyof typeof UNIT_KEYS];
export const UNIT_KEY_LIST: readonly UnitKey[] = Object.freeze(Object.values(UNIT_KEYS));

export type UiStrings = Readonly<Record<UiKey, string>> & Readonly<Partial<Record<UnitKey, string>>>;
export type TextDirection = "ltr" | "rtl";

/** Every UI key, in the order of the English file. */
export const UI_KEYS = Object.freeze(Object.keys(en) as UiKey[]);

/**
 * The built-in languages by primary language subtag, each with every UI string: the 11 languages
 * of Opendatasoft's front office. A language file is added here by one import; a policy adds one
 * without code, in its `ui` field.
 */
export const BUILTIN_UI: Readonly<Record<string, UiStrings>> = Object.freeze({ ar, ca, de, en, es, eu, fr, it, nl, pt, sv });

/** Built-in language tags, sorted. */
export const BUILTIN_LANGS: readonly string[] = Object.freeze(Object.keys(BUILTIN_UI).sort());

/** The language English-speaking readers and the base policy fall back to when nothing else is said. */
export const BASE_LANG = "en";

/** Language tags as policy files use them: a lower-case primary language subtag (BCP 47, ISO 639). */
export const LANG_TAG_PATTERN = "^[a-z]{2,3}$";

/** The `{name}` placeholders a string must keep (every language, same names). */
export const PLACEHOLDERS: Readonly<Partial<Record<UiKey | UnitKey, readonly string[]>>> = Object.freeze({
  ...Object.fromEntries(UNIT_KEY_LIST.map((k) => [k, ["n"]])),
  choiceOf: ["date"],
  storedFor: ["cookie", "duration"],
  tableCaption: ["category"],
  errorTimeout: ["duration"],
  errorEncoding: ["encoding"],
});

/** The placeholders named in `template`, in order of appearance, each once. */
export function placeholdersOf(template: string): string[] {
  return [...new Set(Array.from(template.matchAll(/\{([a-z]+)\}/g), (m) => m[1]))];
}

/**
 * `template` with each `{name}` replaced by `render(params[name])`, the text between rendered
 * by `text` (for HTML: escaped text around markup such as `<bdi>`). Unknown placeholders stay.
 */
export function fill(
  template: string,
  params: Readonly<Record<string, string>>,
  text: (s: string) => string = (s) => s,
  render: (value: string, name: string) => string = text,
): string {
  let out = "";
  let at = 0;
  for (const m of template.matchAll(/\{([a-z]+)\}/g)) {
    const value = params[m[1]];
    if (value === undefined) continue;
    out += text(template.slice(at, m.index)) + render(value, m[1]);
    at = m.index + m[0].length;
  }
  return out + text(template.slice(at));
}

// The built-in languages are data: every file holds every UI key of the reference (English),
// keeps each string's placeholders, says its direction and an Intl locale, and no two
// languages share the text of a string that must be translated.
import { describe, expect, it } from "vitest";
import { formatDateTime, formatDuration } from "../../src/i18n/localize";
import { BUILTIN_LANGS, BUILTIN_UI, fill, LANG_TAG_PATTERN, PLACEHOLDERS, placeholdersOf, UI_KEYS, UNIT_KEY_LIST } from "../../src/i18n/strings";

// The seed languages (Opendatasoft's front office): the only test that knows how many there are.
const SEED = ["ar", "ca", "de", "en", "es", "eu", "fr", "it", "nl", "pt", "sv"];

describe("built-in languages", () => {
  it("are the 11 seed languages of Opendatasoft's front office", () => {
    expect(BUILTIN_LANGS).toEqual(SEED);
  });

  const rows = BUILTIN_LANGS.flatMap((lang) => UI_KEYS.map((key) => [lang, key] as const));
  it.each(rows)("%s has %s, non-empty, with its placeholders", (lang, key) => {
    const s = BUILTIN_UI[lang][key];
    expect(typeof s).toBe("string");
    expect(s.trim()).not.toBe("");
    expect(placeholdersOf(s).sort()).toEqual([...(PLACEHOLDERS[key] ?? [])].sort());
  });

  it.each([...BUILTIN_LANGS])("%s has no key English lacks, a tag, a direction and a locale of its own", (lang) => {
    const ui = BUILTIN_UI[lang];
    const units = UNIT_KEY_LIST.filter((k) => ui[k] !== undefined);
    expect(Object.keys(ui).sort()).toEqual([...UI_KEYS, ...units].sort());
    expect(lang).toMatch(new RegExp(LANG_TAG_PATTERN));
    expect(["ltr", "rtl"]).toContain(ui.dir);
    expect(new Intl.Locale(ui.locale).language).toBe(lang);
    for (const k of units) expect(placeholdersOf(ui[k]!)).toEqual(["n"]);
  });

  // Written in the language: by Intl where this runtime (workerd) has the locale's data, else by
  // the language's own unit strings and an ISO date; never in English words.
  it.each([...BUILTIN_LANGS])("%s writes durations and dates in its own words", (lang) => {
    const ui = BUILTIN_UI[lang];
    const known = Intl.DateTimeFormat.supportedLocalesOf(ui.locale).length > 0;
    if (!known) expect(UNIT_KEY_LIST.every((k) => ui[k] !== undefined), `${lang}: Intl lacks ${ui.locale}, so every unit string is needed`).toBe(true);
    const months = formatDuration({ months: 6 }, ui);
    const date = formatDateTime(Date.UTC(2026, 11, 1, 8, 58), ui);
    expect(months).toMatch(/6/);
    expect(date).toMatch(/2026/);
    expect(date).toMatch(/08:58|8:58/);
    if (lang !== "en") {
      expect(months).not.toBe(formatDuration({ months: 6 }, BUILTIN_UI.en));
      expect(date).not.toMatch(/December/);
    }
    expect(formatDuration({ session: true }, ui)).toBe(ui.durationSession);
  });

  it("right to left exactly for the languages written so (Intl says which)", () => {
    for (const lang of BUILTIN_LANGS) {
      const info = (new Intl.Locale(lang) as Intl.Locale & { getTextInfo?: () => { direction: string } }).getTextInfo?.();
      if (info) expect([lang, BUILTIN_UI[lang].dir]).toEqual([lang, info.direction]);
    }
    expect(BUILTIN_UI.ar.dir).toBe("rtl");
  });

  // Strings that are names or notation may be the same across languages; the rest are translated.
  const SAME_EVERYWHERE = new Set(["dir", "locale", "httpOnlyNote", "colon", "prefixNote", "errorTitle"]);
  it.each(UI_KEYS.filter((k) => !SAME_EVERYWHERE.has(k)))("%s is translated, not copied from English", (key) => {
    for (const lang of BUILTIN_LANGS) {
      if (lang !== "en") expect([lang, BUILTIN_UI[lang][key]]).not.toEqual([lang, BUILTIN_UI.en[key]]);
    }
  });
});

describe("fill", () => {
  it("replaces placeholders, escaping the text between and rendering values apart", () => {
    expect(fill("Your choice of {date}, reference", { date: "1 May" })).toBe("Your choice of 1 May, reference");
    const esc = (s: string) => s.replaceAll("<", "&lt;");
    expect(fill("<{cookie}> for {duration}", { cookie: "<code>x</code>", duration: "<6" }, esc, (v, name) => (name === "cookie" ? v : esc(v)))).toBe(
      "&lt;<code>x</code>> for &lt;6",
    );
    expect(fill("{unknown} stays", {})).toBe("{unknown} stays");
  });
});

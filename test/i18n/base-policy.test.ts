// The base Opendatasoft policy speaks every built-in language: each text of it (sections,
// categories, services' and cookies' function and purpose, durations written as text) has a
// version in each, none copied from English, {site} kept; durations given as data are written by
// Intl in each. A language added to src/i18n/languages/ without translating the base fails here.
import { describe, expect, it } from "vitest";
import { NECESSARY_ONLY } from "../../src/consent/types";
import { BUILTIN_LANGS } from "../../src/i18n/strings";
import { renderPolicyPage } from "../../src/pages/policy-page";
import { buildPolicyView } from "../../src/pages/view";
import { BASES } from "../../src/policy/bundled.generated";
import { POLICIES } from "../../src/policy";

type Json = Record<string, unknown>;
const base = BASES["opendatasoft.json"] as Json;

/** Every localized text of the base ({ en: … }), with its JSON path. */
function texts(v: unknown, path = ""): Array<[string, Record<string, string>]> {
  if (Array.isArray(v)) return v.flatMap((x, i) => texts(x, `${path}[${i}]`));
  if (typeof v !== "object" || v === null) return [];
  const o = v as Json;
  if (typeof o.en === "string") return [[path, o as Record<string, string>]];
  return Object.entries(o).flatMap(([k, x]) => texts(x, path ? `${path}.${k}` : k));
}

describe("the opendatasoft base policy", () => {
  const all = texts(base);
  it("has texts to check", () => expect(all.length).toBeGreaterThan(50));

  it.each([...BUILTIN_LANGS])("every text in %s, translated, with {site} kept", (lang) => {
    for (const [path, t] of all) {
      expect(t[lang], `${path} in ${lang}`).toEqual(expect.any(String));
      expect(t[lang].includes("{site}"), path).toBe(t.en.includes("{site}"));
      if (lang !== "en") expect(t[lang], `${path} in ${lang} is the English text`).not.toBe(t.en);
    }
  });

  it.each([...BUILTIN_LANGS])("/cookies in %s has no text in another language (no lang attribute inside the page)", (lang) => {
    const maia = POLICIES.byId("maia")!;
    const html = renderPolicyPage(buildPolicyView(maia, NECESSARY_ONLY, lang), { nonce: "n", returnTo: "/" });
    expect(html.startsWith(`<!DOCTYPE html><html lang="${lang}" dir="${maia.uiStrings(lang).dir}">`)).toBe(true);
    expect(html.slice(40)).not.toMatch(/\slang="/);
  });

  it("writes the declared durations in each language", () => {
    const maia = POLICIES.byId("maia")!;
    const durationOf = (lang: string, name: string) =>
      buildPolicyView(maia, NECESSARY_ONLY, lang).services.flatMap((s) => s.cookies).find((k) => k.name === name)!.duration.replace(/\s/gu, " "); // ICU puts no-break spaces in some
    expect(durationOf("en", "cookies_preferences")).toBe("6 months");
    expect(durationOf("fr", "cookies_preferences")).toBe("6 mois");
    expect(durationOf("de", "sessionid")).toBe("2 Wochen");
    expect(durationOf("eu", "_ga")).toBe("2 urte");
    expect(durationOf("sv", "django_language")).toBe(maia.uiStrings("sv").durationSession);
  });
});

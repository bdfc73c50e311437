// The choice of a page's language, table-driven: ?lang=, then django_language (regions, odd
// case), then weighted Accept-Language, then the tenant's default; a source naming a language
// the policy does not offer is skipped.
import { describe, expect, it } from "vitest";
import { chooseLang } from "../../src/i18n/choose";
import { BUILTIN_UI } from "../../src/i18n/strings";

const offer = (defaultLanguage?: string, extra: string[] = []) => ({
  strings: new Map([...Object.keys(BUILTIN_UI), ...extra].map((l) => [l, null])),
  ...(defaultLanguage ? { defaultLanguage } : {}),
});

describe("chooseLang", () => {
  it.each<[string | undefined, string | undefined, string | undefined, string | undefined, string]>([
    // query, django_language, Accept-Language, tenant default → chosen
    [undefined, undefined, undefined, undefined, "en"],
    [undefined, undefined, undefined, "nl", "nl"],
    ["es", undefined, undefined, undefined, "es"],
    ["ES", undefined, undefined, undefined, "es"],
    ["pt-BR", undefined, undefined, undefined, "pt"],
    ["es", "nl", "de", "fr", "es"], // ?lang= first
    [undefined, "nl", "de", "fr", "nl"], // then django_language
    [undefined, undefined, "de", "fr", "de"], // then Accept-Language
    ["xx", "nl", "de", undefined, "nl"], // a language not offered is skipped
    ["", "", "de", undefined, "de"],
    [undefined, "pt-br", undefined, undefined, "pt"], // Django's region form
    [undefined, "PT_BR", undefined, undefined, "pt"],
    [undefined, "Eu", undefined, undefined, "eu"],
    [undefined, " ca ", undefined, undefined, "ca"],
    [undefined, "zh-hans", "sv", undefined, "sv"],
    [undefined, undefined, "es;q=0.5, nl;q=0.9", undefined, "nl"],
    [undefined, undefined, "fr-CA, es;q=0.9", undefined, "fr"],
    [undefined, undefined, "ja, ar;q=0.2, it;q=0.1", undefined, "ar"],
    [undefined, undefined, "ja, *;q=0.1", "de", "de"], // * is the tenant's default
    [undefined, undefined, "nl;q=0, en;q=0.1", "nl", "en"], // q=0 excludes
    [undefined, undefined, "nl;q=0", "nl", "nl"], // nothing acceptable: the default anyway
    [undefined, undefined, "de;q=0.8, sv;q=0.8", undefined, "de"], // ties: header order
    [undefined, undefined, "ja, zh", "ca", "ca"],
  ])("lang=%j django_language=%j Accept-Language=%j default=%j → %s", (q, d, a, def, want) => {
    expect(chooseLang(offer(def), q, d, a)).toBe(want);
  });

  it("offers a language a policy adds under ui", () => {
    expect(chooseLang(offer(undefined, ["xx"]), "xx", "de", undefined)).toBe("xx");
    expect(chooseLang(offer(undefined, ["xx"]), undefined, undefined, "xx-YY;q=0.9, de;q=0.5")).toBe("xx");
  });
});

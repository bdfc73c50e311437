// /cookies in JSON and Markdown speaks the chosen language too, through the worker: the
// declaration's texts, durations and the Markdown table's headings; a tenant text missing in the
// language is named in JSON by its `<field>Lang`.
import { describe, expect, it } from "vitest";
import { NECESSARY_ONLY } from "../../src/consent/types";
import { BUILTIN_UI } from "../../src/i18n/strings";
import { buildDeclaration } from "../../src/pages/declaration";
import { renderPolicyPage } from "../../src/pages/policy-page";
import { buildPolicyView } from "../../src/pages/view";
import { POLICIES } from "../../src/policy";
import { compilePolicy } from "../../src/policy/compile";
import { call } from "../helpers";

const ws = (s: string) => s.replace(/\s/gu, " "); // ICU writes no-break spaces in some durations

describe("/cookies as data, in the visitor's language", () => {
  it("JSON in Arabic: lang, texts and Intl durations", async () => {
    const res = await call("/cookies?lang=ar", { headers: { accept: "application/json" } });
    expect(res.headers.get("content-language")).toBe("ar");
    const body = (await res.json()) as { lang: string; title: string; services: Array<{ cookies: Array<{ name: string; duration: string }> }> };
    expect(body.lang).toBe("ar");
    expect(body.title).toBe("سياسة ملفات تعريف الارتباط");
    const prefs = body.services.flatMap((s) => s.cookies).find((k) => k.name === "cookies_preferences")!;
    expect(ws(prefs.duration)).toBe("6 أشهر");
  });

  it("Markdown in German (django_language, odd case): headings, table header, durations", async () => {
    const res = await call("/cookies", { headers: { accept: "text/markdown", cookie: "django_language=DE-at" } });
    expect(res.headers.get("content-language")).toBe("de");
    const md = await res.text();
    expect(md.startsWith("# Cookie-Richtlinie\n")).toBe(true);
    const de = BUILTIN_UI.de;
    expect(md).toContain(`| ${de.colProvider} | ${de.colFunction} | ${de.colCookies} | ${de.colPurpose} | ${de.colDuration} |`);
    expect(ws(md)).toContain("| 2 Wochen |");
  });

  it("names a text's fallback language in JSON, field by field", () => {
    const maia = POLICIES.byId("maia")!;
    const { services: _s, ...rest } = maia;
    // A tenant whose own service purpose exists in English and French only.
    const tenant = compilePolicy({ ...rest, services: maia.services.map((s) => (s.id === "matomo" ? { ...s, purpose: { en: "Our stats", fr: "Nos stats" } } : s)) });
    const json = buildDeclaration(buildPolicyView(tenant, NECESSARY_ONLY, "sv"));
    const matomo = json.services.find((s) => s.id === "matomo") as Record<string, unknown>;
    expect(matomo).toMatchObject({ purpose: "Our stats", purposeLang: "en" });
    expect(matomo.functionLang).toBeUndefined(); // the base's function has Swedish
    expect(json.lang).toBe("sv");
    // The HTML says it in a lang attribute on that text alone.
    const html = renderPolicyPage(buildPolicyView(tenant, NECESSARY_ONLY, "sv"), { nonce: "n", returnTo: "/" });
    expect(html).toContain('<span lang="en">Our stats</span>');
    expect(html.match(/ lang="/g)).toHaveLength(2); // <html lang="sv"> and that span
  });
});

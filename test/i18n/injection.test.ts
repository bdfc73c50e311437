// Attacks on the language machinery: a language named by the visitor (?lang=, django_language,
// Accept-Language, the form's lang) only ever selects one the policy offers, and a policy's own
// UI strings are text, escaped wherever they are written.
import { describe, expect, it } from "vitest";
import { NECESSARY_ONLY } from "../../src/consent/types";
import { parsePreferenceForm } from "../../src/pages/form";
import { renderPolicyPage } from "../../src/pages/policy-page";
import { buildPolicyView } from "../../src/pages/view";
import { POLICIES } from "../../src/policy";
import { compilePolicy } from "../../src/policy/compile";
import { errorPage } from "../../src/proxy/pages";
import { renderBanner } from "../../src/rewrite/banner";
import { call } from "../helpers";

const EVIL = `"><img src=x onerror=alert(1)>{cookie}`;

describe("a language named by the visitor", () => {
  it.each<[string, { path: string; headers?: Record<string, string> }]>([
    ["?lang=", { path: `/cookies?lang=${encodeURIComponent('"><script>alert(1)</script>')}` }],
    ["django_language", { path: "/cookies", headers: { cookie: `django_language="><script>` } }],
    ["Accept-Language", { path: "/cookies", headers: { "accept-language": `"><script>, ${"x;q=0.5,".repeat(200)}` } }],
  ])("%s: an unknown value falls back to the default, nothing of it is written back", async (_, { path, headers }) => {
    const res = await call(path, { headers });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-language")).toBe("en");
    const html = await res.text();
    expect(html).toContain('<html lang="en" dir="ltr">');
    expect(html).not.toMatch(/<script|<img/);
  });

  it("the form's lang is recorded only when the policy offers it", () => {
    const maia = POLICIES.byId("maia")!;
    const lang = (v: string) => parsePreferenceForm(new URLSearchParams({ action: "refuse", lang: v }), maia);
    expect(lang("ar")).toMatchObject({ ok: true, lang: "ar" });
    for (const bad of ["AR", "ar-EG", "xx", "<b>", "", "__proto__", "constructor"]) expect(lang(bad), bad).toMatchObject({ ok: true, lang: undefined });
  });
});

describe("a policy's own UI strings", () => {
  const maia = POLICIES.byId("maia")!;
  const { strings: _s, uiStrings: _u, classify: _c, servicesByKey: _k, parentDomainFor: _p, ...data } = maia;
  // What a validated policy could not hold ({cookie} in bannerText is refused by the build), as
  // a library user's unvalidated object might: escaped all the same.
  const evil = compilePolicy({ ...data, ui: { de: { bannerText: EVIL, acceptAll: EVIL, yourChoices: EVIL, errorUnreachable: EVIL } } });

  it("are escaped in the banner", () => {
    const html = renderBanner(evil, "de", "/");
    expect(html).not.toMatch(/<img/);
    expect(html).toContain("&#34;&#62;&#60;img src=x onerror=alert(1)&#62;{cookie}");
  });
  it("are escaped on /cookies, and a placeholder they were not given stays text", () => {
    const html = renderPolicyPage(buildPolicyView(evil, NECESSARY_ONLY, "de"), { nonce: "n", returnTo: "/" });
    expect(html).not.toMatch(/<img/);
    expect(html).toContain("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;{cookie}");
  });
  it("are escaped on an error page", async () => {
    const html = await errorPage(502, "errorUnreachable", { lang: "de", ui: evil.uiStrings("de") }).text();
    expect(html).not.toMatch(/<img/);
  });
  it("a lookup by a key that is not a language gives the default language's strings", () => {
    for (const key of ["__proto__", "constructor", "toString", "hasOwnProperty"]) expect(maia.uiStrings(key)).toBe(maia.uiStrings("en"));
  });
});

// The policy fields of the languages issue: defaultLanguage, ui (add a language, override any
// string), durations as data, portalBanner; each error names the file, the field and, for a UI
// string, the language and the key.
import { describe, expect, it } from "vitest";
import { BUILTIN_UI, PLACEHOLDERS, UI_KEYS } from "../../src/i18n/strings";
import { createRegistry, validatePolicy } from "../../src/policy/index";
import { base, errorOf, full, type Json } from "./fixture";

/** A complete set of UI strings for a language that is not built in ("xx"): English ones, marked. */
const complete = (): Json => Object.fromEntries(UI_KEYS.map((k) => [k, k === "dir" ? "ltr" : k === "locale" ? "en" : `XX ${BUILTIN_UI.en[k]}`]));

const validateError = (edit: (p: Json) => void) => {
  const p = full();
  edit(p);
  const e = errorOf(() => validatePolicy(p, "maia.json"));
  return [e.field, e.reason] as const;
};

describe("a missing UI string is reported by language and key", () => {
  it.each([...UI_KEYS])("ui.xx without %s", (key) => {
    const [field, reason] = validateError((p) => {
      p.ui = { xx: complete() };
      delete p.ui.xx[key];
    });
    expect(field).toBe(`ui.xx.${key}`);
    expect(reason).toContain(`missing UI string (language "xx", key "${key}")`);
  });

  it("a built-in language may override any one string, and only known keys", () => {
    for (const key of UI_KEYS) {
      const p = full();
      p.ui = { en: { [key]: BUILTIN_UI.en[key] } };
      expect(() => validatePolicy(p, "maia.json"), key).not.toThrow();
    }
    expect(validateError((p) => (p.ui = { fr: { acceptEverything: "Oui" } }))).toEqual(["ui.fr.acceptEverything", expect.stringMatching(/unknown field/)]);
  });
});

describe("UI strings keep their placeholders", () => {
  it.each(Object.entries(PLACEHOLDERS))("%s", (key, names) => {
    // A French string where there is one; the optional unit strings may have none.
    const template = (BUILTIN_UI.fr as Record<string, string | undefined>)[key] ?? `${names!.map((n) => `{${n}}`).join(" ")} mois`;
    expect(() => validatePolicy({ ...full(), ui: { fr: { [key]: template } } }, "maia.json")).not.toThrow();
    for (const name of names!) {
      const [field, reason] = validateError((p) => (p.ui = { fr: { [key]: template.replace(`{${name}}`, "") } }));
      expect(field).toBe(`ui.fr.${key}`);
      expect(reason).toContain(`must keep the placeholder {${name}} (language "fr", key "${key}")`);
    }
    const [field, reason] = validateError((p) => (p.ui = { fr: { [key]: `${template} {site}` } }));
    expect([field, reason]).toEqual([`ui.fr.${key}`, expect.stringContaining("unknown placeholder {site}")]);
  });
  it("a string without placeholders may not invent one", () => {
    expect(validateError((p) => (p.ui = { en: { acceptAll: "Accept {all}" } }))).toEqual(["ui.en.acceptAll", expect.stringContaining("allowed: none")]);
  });
});

describe("languages and the default language", () => {
  it.each<[string, (p: Json) => void, string, RegExp]>([
    ["bad language tag", (p) => (p.ui = { "pt-br": { acceptAll: "Aceitar" } }), "ui.pt-br", /not a language tag/],
    ["upper-case tag", (p) => (p.ui = { EN: { acceptAll: "Accept" } }), "ui.EN", /not a language tag/],
    ["dir outside the enum", (p) => (p.ui = { en: { dir: "right" } }), "ui.en.dir", /"ltr" or "rtl"/],
    ["locale Intl does not know", (p) => (p.ui = { en: { locale: "not a locale!" } }), "ui.en.locale", /not a locale Intl knows/],
    ["empty string", (p) => (p.ui = { en: { acceptAll: "" } }), "ui.en.acceptAll", /non-empty string/],
    ["ui not an object", (p) => (p.ui = ["en"]), "ui", /must be an object/],
    ["default not offered", (p) => (p.defaultLanguage = "xx"), "defaultLanguage", /"xx" is not a language of this policy/],
    ["default not a string", (p) => (p.defaultLanguage = 1), "defaultLanguage", /non-empty string/],
    ["text missing the default language", (p) => { p.defaultLanguage = "fr"; p.title = { en: "Cookies" }; }, "title", /no text in the default language "fr" \(it has: en\)/],
    ["empty text object", (p) => (p.title = {}), "title", /no text in the default language "en" \(it has: none\)/],
    ["text in a language not offered", (p) => (p.sections[0].heading.xx = "?"), "sections[0].heading.xx", /not a language of this policy/],
  ])("%s", (_, edit, field, reason) => {
    const [f, r] = validateError(edit);
    expect(f).toBe(field);
    expect(r).toMatch(reason);
  });

  it("a language added under ui may be the default, and its texts are then required", () => {
    const p = full();
    p.ui = { xx: complete() };
    p.defaultLanguage = "xx";
    expect(errorOf(() => validatePolicy(p, "maia.json")).reason).toMatch(/default language "xx"/);
    const q = full();
    q.ui = { xx: complete() };
    q.title.xx = "XX Cookies";
    expect(validatePolicy(q, "maia.json").title).toMatchObject({ xx: "XX Cookies" });
  });

  it("compiles the offer: built-in and added languages, the default, every string with overrides", () => {
    const t = { extends: "opendatasoft", id: "maia", hosts: ["maia.opendatasoft.com"], siteUrl: "https://maia.opendatasoft.com" };
    const registry = createRegistry(
      { "opendatasoft.json": base() },
      { "maia.json": { ...t, defaultLanguage: "fr", ui: { xx: complete(), fr: { acceptAll: "J'accepte tout" } } } },
    );
    const policy = registry.byId("maia")!;
    expect(policy.defaultLanguage).toBe("fr");
    expect([...policy.strings.keys()]).toEqual([...Object.keys(BUILTIN_UI), "xx"].sort());
    expect(policy.uiStrings("xx").acceptAll).toBe("XX Accept all");
    expect(policy.uiStrings("fr").acceptAll).toBe("J'accepte tout");
    expect(policy.uiStrings("fr").refuseAll).toBe(BUILTIN_UI.fr.refuseAll);
    expect(policy.uiStrings("zz")).toBe(policy.uiStrings("fr")); // not offered: the default language's
  });
});

describe("ui merges per language and key between base and tenant", () => {
  const t = { extends: "opendatasoft", id: "maia", hosts: ["maia.opendatasoft.com"], siteUrl: "https://maia.opendatasoft.com" };
  it("keeps the base's strings the tenant does not override", () => {
    const b = { ...base(), ui: { fr: { acceptAll: "Accepter", refuseAll: "Refuser" } } };
    const policy = createRegistry({ "opendatasoft.json": b }, { "maia.json": { ...t, ui: { fr: { refuseAll: "Non merci" } } } }).byId("maia")!;
    expect(policy.uiStrings("fr")).toMatchObject({ acceptAll: "Accepter", refuseAll: "Non merci" });
  });
  it("names the file that holds the mistake", () => {
    const b = { ...base(), ui: { fr: { acceptAll: "Accepter" } } };
    const e = errorOf(() => createRegistry({ "opendatasoft.json": b }, { "maia.json": { ...t, ui: { fr: { refuseAll: "" } } } }));
    expect([e.file, e.field]).toEqual(["maia.json", "ui.fr.refuseAll"]);
    const b2 = { ...base(), ui: { fr: { acceptAll: "{x}" } } };
    const e2 = errorOf(() => createRegistry({ "opendatasoft.json": b2 }, { "maia.json": { ...t, ui: { fr: { refuseAll: "Refuser" } } } }));
    expect([e2.file, e2.field]).toEqual(["base/opendatasoft.json", "ui.fr.acceptAll"]);
    const e3 = errorOf(() => createRegistry({ "opendatasoft.json": b }, { "maia.json": { ...t, ui: { xx: { acceptAll: "x" } } } }));
    expect([e3.file, e3.field]).toEqual(["maia.json", "ui.xx.dir"]);
  });
});

describe("durations as data", () => {
  it("accepts units and session, and rejects anything else", () => {
    const ok = full();
    ok.services[0].cookies[0].duration = { weeks: 2 };
    ok.services[0].cookies[1].duration = { session: true };
    ok.services[0].cookies[2].duration = { years: 1, months: 6 };
    expect(() => validatePolicy(ok, "maia.json")).not.toThrow();
    const cases: Array<[unknown, string, RegExp]> = [
      [{ months: -1 }, "services[0].cookies[0].duration.months", /whole number of months/],
      [{ months: 1.5 }, "services[0].cookies[0].duration.months", /whole number/],
      [{ months: "6" }, "services[0].cookies[0].duration.months", /whole number/],
      [{ months: 6, fortnights: 1 }, "services[0].cookies[0].duration.fortnights", /unknown field/],
      [{ session: false }, "services[0].cookies[0].duration.session", /must be true/],
      [{ session: true, days: 1 }, "services[0].cookies[0].duration.days", /unknown field/],
    ];
    for (const [duration, field, reason] of cases) {
      const [f, r] = validateError((p) => (p.services[0].cookies[0].duration = duration));
      expect([f, r], JSON.stringify(duration)).toEqual([field, expect.stringMatching(reason)]);
    }
  });
});

describe("portalBanner", () => {
  it("accepts a selector list with combinators, attributes, pseudo-classes and quotes", () => {
    const p = full();
    p.portalBanner = { hide: `#cookie-law, .ods-cookie-banner > div, [data-role="cookie banner"], div:not(.keep)` };
    expect(validatePolicy(p, "maia.json").portalBanner).toEqual(p.portalBanner);
  });
  it.each<[string, unknown, string, RegExp]>([
    ["missing hide", {}, "portalBanner.hide", /is required/],
    ["unknown field", { hide: ".x", show: ".y" }, "portalBanner.show", /unknown field/],
    ["empty", { hide: " " }, "portalBanner.hide", /non-empty string/],
    ["closing the style element", { hide: ".x</style><script>alert(1)</script>" }, "portalBanner.hide", /may not hold </],
    ["a rule of its own", { hide: ".x{display:block} body" }, "portalBanner.hide", /may not hold/],
    ["an at-rule", { hide: "@import url(x)" }, "portalBanner.hide", /may not hold/],
    ["a comment", { hide: ".x/*" }, "portalBanner.hide", /may not hold/],
    ["an escape", { hide: ".x\\7d" }, "portalBanner.hide", /may not hold/],
    ["a new line", { hide: ".x\n.y" }, "portalBanner.hide", /may not hold/],
    ["unbalanced bracket", { hide: "[data-x=\"y\"" }, "portalBanner.hide", /unclosed "\["/],
    ["unbalanced paren", { hide: ".x), body:is(.y" }, "portalBanner.hide", /unbalanced "\)"/],
    ["unclosed quote", { hide: "[data-x='y]" }, "portalBanner.hide", /unclosed quote/],
  ])("%s", (_, value, field, reason) => {
    const [f, r] = validateError((p) => (p.portalBanner = value));
    expect(f).toBe(field);
    expect(r).toMatch(reason);
  });
});

describe("the languages a policy compiles to stay out of its hash", () => {
  it("the compiled policy's canonical JSON is its data's (what KV verifies and records name)", async () => {
    const { canonicalJson } = await import("../../src/proof/policy-hash");
    const { loadPolicies } = await import("../../src/policy/load");
    const t = { extends: "opendatasoft", id: "maia", hosts: ["maia.opendatasoft.com"], siteUrl: "https://maia.opendatasoft.com", ui: { fr: { acceptAll: "Oui" } } };
    const [data] = loadPolicies({ "opendatasoft.json": base() }, { "maia.json": t });
    const compiled = createRegistry({ "opendatasoft.json": base() }, { "maia.json": t }).byId("maia")!;
    expect(compiled.strings.size).toBeGreaterThan(1);
    expect(canonicalJson(compiled)).toBe(canonicalJson(data));
  });
});

// Table tests for the pure parts of /cookies: language, format, return path, form, Markdown, view.
import { describe, expect, it } from "vitest";
import { NECESSARY_ONLY, type Consent } from "../../src/consent/types";
import { parsePreferenceForm, safeReturnPath } from "../../src/pages/form";
import { chooseLang, langFromAcceptLanguage, localizeText } from "../../src/pages/i18n";
import { buildDeclaration } from "../../src/pages/declaration";
import { escapeMarkdownCell, renderPolicyMarkdown } from "../../src/pages/markdown";
import { chooseFormat } from "../../src/pages/negotiate";
import { renderPolicyPage } from "../../src/pages/policy-page";
import { buildPolicyView, optionalConsentKeys, serviceRows } from "../../src/pages/view";
import { compilePolicy } from "../../src/policy/compile";
import { POLICY, SITE, tenantPolicy } from "./fixture";

// An offer of two languages, whatever the built-in ones are (test/i18n/ covers the seed languages).
const EN_FR = { strings: new Map([["en", {}], ["fr", {}]]), defaultLanguage: "en" };

describe("chooseLang", () => {
  it.each([
    [undefined, undefined, undefined, "en"],
    ["fr", undefined, "en", "fr"],
    ["en", "fr", "fr", "en"],
    [undefined, "fr", "en", "fr"],
    [undefined, "fr-fr", undefined, "fr"],
    ["de", "fr", "en", "fr"], // unsupported ?lang= is skipped
    ["de", undefined, undefined, "en"],
    [undefined, "es", "fr-CA,fr;q=0.9", "fr"],
    [undefined, undefined, "de", "en"],
  ] as const)("lang=%s django_language=%s accept-language=%s → %s", (q, d, a, want) => {
    expect(chooseLang(EN_FR, q, d, a)).toBe(want);
  });
});

describe("langFromAcceptLanguage", () => {
  it.each([
    ["fr", "fr"],
    ["en-US,en;q=0.9,fr;q=0.8", "en"],
    ["de, fr;q=0.5, en;q=0.4", "fr"],
    ["en;q=0.3, fr;q=0.7", "fr"],
    ["fr;q=0, en;q=0.1", "en"],
    ["fr;q=0", undefined],
    ["de-DE, *;q=0.1", "en"],
    ["es, it", undefined],
    ["", undefined],
  ] as const)("%j → %s", (header, want) => {
    expect(langFromAcceptLanguage(EN_FR, header)).toBe(want);
  });
});

describe("chooseFormat", () => {
  it.each([
    [undefined, "html"],
    ["text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "html"],
    ["application/json", "json"],
    ["application/json, text/plain, */*", "json"],
    ["text/markdown", "markdown"],
    ["text/markdown;q=0.9, text/html;q=0.5", "markdown"],
    ["text/*", "html"],
    ["*/*", "html"],
    ["text/html;q=0, application/json;q=0.1", "json"],
    ["image/png", "html"],
    ["application/json;q=0.5, text/markdown;q=0.5", "json"],
    ["text/html, application/json", "html"],
    ["*/*, text/markdown", "markdown"],
  ] as const)("%j → %s", (accept, want) => {
    expect(chooseFormat(accept)).toBe(want);
  });
});

describe("safeReturnPath", () => {
  it.each([
    ["/", "/"],
    ["/explore/dataset/x/?q=1#t", "/explore/dataset/x/?q=1#t"],
    ["/cookies", "/cookies"],
    ["/données", "/donn%C3%A9es"],
    ["/a/../b", "/b"],
  ])("keeps %j as %j", (value, want) => {
    expect(safeReturnPath(value)).toBe(want);
  });
  it.each([
    "//evil.com",
    "https://evil.com",
    "javascript:alert(1)",
    "/\\evil.com",
    "\\\\evil.com",
    "/\t/evil.com",
    "/\r\nSet-Cookie: x=1",
    "/x\u0000",
    "evil.com",
    "",
  ])("refuses %j", (value) => {
    expect(safeReturnPath(value)).toBeUndefined();
  });
  it("refuses paths longer than the cap", () => {
    expect(safeReturnPath("/" + "a".repeat(1023))).toBe("/" + "a".repeat(1023));
    expect(safeReturnPath("/" + "a".repeat(1024))).toBeUndefined();
  });
  it("refuses missing values", () => {
    expect(safeReturnPath(null)).toBeUndefined();
    expect(safeReturnPath(undefined)).toBeUndefined();
  });
});

describe("parsePreferenceForm", () => {
  const parse = (body: string) => parsePreferenceForm(new URLSearchParams(body), POLICY);
  it("accept grants every optional key, refuse none", () => {
    expect(optionalConsentKeys(POLICY)).toEqual(["ga", "matomo", "at"]);
    const accept = parse("action=accept&return=%2Fexplore");
    expect(accept).toMatchObject({ ok: true, action: "accept", returnTo: "/explore" });
    expect(accept.ok && [...accept.granted]).toEqual(["ga", "matomo", "at"]);
    const refuse = parse("action=refuse&ga=on");
    expect(refuse.ok && [...refuse.granted]).toEqual([]);
  });
  it("save grants the checked keys the policy knows, never necessary or unknown ones", () => {
    const save = parse("action=save&matomo=on&opendatasoft=on&evil=on&at=");
    expect(save.ok && [...save.granted]).toEqual(["matomo"]);
  });
  it("falls back to /cookies for a bad return", () => {
    expect(parse("action=refuse&return=%2F%2Fevil.com")).toMatchObject({ ok: true, returnTo: "/cookies" });
    expect(parse("action=refuse")).toMatchObject({ ok: true, returnTo: "/cookies" });
  });
  it.each(["", "action=maybe", "action=accept&action=refuse", "ga=on"])("rejects %j", (body) => {
    expect(parse(body).ok).toBe(false);
  });
});

describe("Markdown", () => {
  it("escapes table cells so no value opens a column or raw HTML", () => {
    expect(escapeMarkdownCell("a | b")).toBe("a \\| b");
    expect(escapeMarkdownCell("<b>x</b>")).toBe("&lt;b&gt;x&lt;/b&gt;");
    expect(escapeMarkdownCell("line\r\n  two")).toBe("line two");
    expect(escapeMarkdownCell("back\\slash")).toBe("back\\\\slash");
  });
  it("renders sections, the site URL and one table per category with services", () => {
    const md = renderPolicyMarkdown(buildPolicyView(POLICY, NECESSARY_ONLY, "en"));
    expect(md).toContain("# Cookie policy\n");
    expect(md).toContain("## What is a cookie?\n");
    expect(md).toContain("### Strictly necessary cookies\n");
    expect(md).toContain(`## What cookies are used on the ${SITE} platform\n`);
    expect(md).toContain("See &lt;script&gt;alert(1)&lt;/script&gt; the tables | below.");
    expect(md).toContain("| Matomo &lt;b&gt;&amp;&lt;/b&gt; \\| co | Audience | `_pk_id.`\\*, `_pk_ses.`\\* |");
    expect(md).toContain("| Google Analytics | Audience, Google servers | `_ga`, `_ga_`\\* | Count visits | 13 months |");
    // Each table row has exactly six unescaped pipes (five columns).
    for (const line of md.split("\n").filter((l) => l.startsWith("| "))) {
      expect(line.replaceAll("\\|", "").split("|").length - 1).toBe(6);
    }
    expect(md).toContain("### Marketing\n\nNone here.\n\nNo cookies in this category.");
  });
});

describe("buildPolicyView", () => {
  const consent: Consent = { explicit: true, source: "cookie", granted: new Set(["matomo"]) };
  it("localises, fills {site}, groups by category and lists one choice per optional key", () => {
    const v = buildPolicyView(POLICY, consent, "fr");
    expect(v.title).toBe("Politique de cookies");
    expect(v.sections[0].paragraphs[0]).toBe(`Nous utilisons des cookies sur ${SITE}.`);
    expect(v.sections[2].level).toBe(3);
    expect(v.categories.map((c) => [c.id, c.services.map((s) => s.id)])).toEqual([
      ["necessary", ["opendatasoft"]],
      ["functional", ["at"]],
      ["statistics", ["ga", "matomo"]],
      ["marketing", []],
    ]);
    expect(v.choices).toEqual([
      { key: "ga", label: "Google Analytics", categoryName: "Statistiques", granted: false },
      { key: "matomo", label: "Matomo <b>&</b> | co", categoryName: "Statistiques", granted: true },
      { key: "at", label: "AT Internet", categoryName: "Functional", granted: false },
    ]);
    expect(v.consent).toEqual({ explicit: true, source: "cookie", granted: ["matomo"] });
  });
  it("falls back, field by field, to the default language for untranslated text", () => {
    expect(localizeText({ en: "only english" }, "fr", "en")).toEqual({ text: "only english", lang: "en" });
    expect(localizeText({ en: "english", fr: "français" }, "fr", "en")).toEqual({ text: "français", lang: "fr" });
    expect(localizeText("plain", "fr", "en")).toEqual({ text: "plain" });
  });
});

describe("renderPolicyPage", () => {
  const html = renderPolicyPage(buildPolicyView(POLICY, NECESSARY_ONLY, "en"), { nonce: "abc", returnTo: "/x?a=1&b=2" });
  it("is a document with lang, the nonce on the only <style>, and no script", () => {
    expect(html.startsWith('<!DOCTYPE html><html lang="en" dir="ltr">')).toBe(true);
    expect(html).toContain('<style nonce="abc">');
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(html).toContain("Matomo &lt;b&gt;&amp;&lt;/b&gt; | co");
  });
  it("has ordered headings: one h1, and h3 only under an h2", () => {
    const levels = [...html.matchAll(/<h([1-6])[ >]/g)].map((m) => Number(m[1]));
    expect(levels[0]).toBe(1);
    expect(levels.filter((l) => l === 1)).toHaveLength(1);
    for (let i = 1; i < levels.length; i++) expect(levels[i] - levels[i - 1]).toBeLessThanOrEqual(1);
  });
  it("labels every form control and escapes the return field", () => {
    const ids = [...html.matchAll(/<input type="checkbox" id="([^"]+)"/g)].map((m) => m[1]);
    expect(ids).toEqual(["necessary-opendatasoft", "consent-ga", "consent-matomo", "consent-at"]);
    for (const id of ids) expect(html).toContain(`<label for="${id}">`);
    expect(html).toContain('<input type="hidden" name="return" value="/x?a=1&amp;b=2"/>');
    expect(html).toMatch(/<fieldset><legend>Choose service by service<\/legend>/);
  });
  it("has a caption and scoped headers on each table", () => {
    expect(html.match(/<table>/g)).toHaveLength(3);
    expect(html.match(/<caption>/g)).toHaveLength(3);
    expect(html.match(/<th scope="col">/g)).toHaveLength(15);
    expect(html.match(/<th scope="row">/g)).toHaveLength(4);
  });
});

describe("per-cookie function and location", () => {
  // As the Opendatasoft table: each necessary cookie has its own "Function and location" row.
  const base = tenantPolicy();
  const policy = compilePolicy({
    ...base,
    services: base.services.map((s) =>
      s.id !== "opendatasoft"
        ? s
        : {
            ...s,
            cookies: [
              { name: "sessionid", duration: "2 weeks", httpOnly: true, function: { en: "Authentication on {site}", fr: "Authentification sur {site}" }, purpose: "Remember the user" },
              { name: "csrftoken", duration: "1 year", function: "API (CSRF)" },
              { name: "django_language", duration: "session" },
            ],
          },
    ),
  });
  const view = (lang: "en" | "fr") => buildPolicyView(policy, NECESSARY_ONLY, lang);

  it("gives a row per cookie once one cookie has its own function, falling back to the service's", () => {
    const rows = serviceRows(view("fr").necessary[0]);
    expect(rows.map((r) => [r.function, r.cookies.map((k) => k.name), r.purpose, r.cookies[0].duration])).toEqual([
      [`Authentification sur ${SITE}`, ["sessionid"], "Remember the user", "2 weeks"],
      ["API (CSRF)", ["csrftoken"], "Session and security", "1 year"],
      [`Plateforme, ${SITE}`, ["django_language"], "Session and security", "session"],
    ]);
    // A row's cookie carries no override left to print twice.
    for (const r of rows) expect(r.cookies[0]).not.toHaveProperty("purpose");
    expect(rows[0].cookies[0].httpOnly).toBe(true);
  });

  it("keeps one row for a service whose cookies share its function", () => {
    const ga = view("en").services.find((s) => s.id === "ga")!;
    expect(serviceRows(ga)).toEqual([ga]);
  });

  it("shows each cookie's function in the HTML table, one row per cookie", () => {
    const html = renderPolicyPage(view("en"), { nonce: "n", returnTo: "/" });
    expect(html).toContain(
      `<tr><th scope="row"><bdi>Opendatasoft</bdi></th><td>Authentication on ${SITE}</td><td><ul class="plain"><li><bdi><code>sessionid</code></bdi> (HttpOnly)</li></ul></td><td>Remember the user</td><td>2 weeks</td></tr>`,
    );
    expect(html).toContain('<tr><th scope="row"><bdi>Opendatasoft</bdi></th><td>API (CSRF)</td>');
    expect(html).toContain(`<tr><th scope="row"><bdi>Opendatasoft</bdi></th><td>Platform, ${SITE}</td>`);
    expect(html.match(/<th scope="row">/g)).toHaveLength(6);
  });

  it("shows it in Markdown and JSON too", () => {
    const md = renderPolicyMarkdown(view("en"));
    expect(md).toContain(`| Opendatasoft | Authentication on ${SITE} | \`sessionid\` | Remember the user | 2 weeks |`);
    expect(md).toContain("| Opendatasoft | API (CSRF) | `csrftoken` | Session and security | 1 year |");
    const json = buildDeclaration(view("en"));
    expect(json.services[0].cookies.map((k) => k.function)).toEqual([`Authentication on ${SITE}`, "API (CSRF)", undefined]);
  });
});

describe("the tables' heading", () => {
  it("is the policy's last section when that is an empty h2, which then is not repeated", () => {
    const base = tenantPolicy();
    const policy = compilePolicy({ ...base, sections: [...base.sections, { heading: "What cookies are used on the <{site}> platform", paragraphs: [] }] });
    const v = buildPolicyView(policy, NECESSARY_ONLY, "en");
    expect(v.tablesHeading).toBe(`What cookies are used on the <${SITE}> platform`);
    expect(v.sections.map((x) => x.heading)).not.toContain(v.tablesHeading);
    const html = renderPolicyPage(v, { nonce: "n", returnTo: "/" });
    expect(html.split(`What cookies are used on the &lt;${SITE}&gt; platform`)).toHaveLength(2);
    expect(html).toContain(`<h2 id="cookie-tables">What cookies are used on the &lt;${SITE}&gt; platform</h2>`);
    expect(renderPolicyMarkdown(v)).toContain(`\n## What cookies are used on the &lt;${SITE}&gt; platform\n\n### Strictly necessary\n`);
  });
  it("is a generic heading otherwise, in the page's language", () => {
    expect(buildPolicyView(POLICY, NECESSARY_ONLY, "en").tablesHeading).toBe("Cookies used on this site");
    expect(buildPolicyView(POLICY, NECESSARY_ONLY, "fr").tablesHeading).toBe("Cookies utilisés sur ce site");
  });
});

describe("renderPolicyPage escaping (template strings, no JSX runtime)", () => {
  // Every string a policy file or the request can bring, with markup that would open an element,
  // close an attribute (either quote) or start an entity if it were not escaped.
  const HOSTILE = `<i id="x" title='y'>&amp;</i>`;
  const hostile = (s: string) => s + HOSTILE;
  const base = tenantPolicy();
  const policy = compilePolicy({
    ...base,
    siteUrl: hostile(SITE),
    title: hostile("Title"),
    sections: base.sections.map((s) => ({ ...s, heading: hostile("H {site}"), paragraphs: [hostile("P {site}")] })),
    categories: base.categories.map((c) => ({ ...c, name: hostile("Cat"), description: hostile("Desc") })),
    services: base.services.map((s) => ({
      ...s,
      id: hostile(s.id),
      consentKey: s.category === "necessary" ? s.consentKey : hostile(s.consentKey),
      provider: hostile(s.provider),
      function: hostile("F"),
      purpose: hostile("Pu"),
      cookies: s.cookies.map((k, i) => ({ ...k, name: hostile(k.name), duration: hostile(`D${i}`), ...(i === 0 ? { purpose: hostile("KP") } : {}) })),
    })),
  });
  const consent: Consent = { explicit: true, source: "cookie", granted: new Set([hostile("ga")]), recordId: "AAAAAAAAAAAAAAAAAAAAAA", decidedAt: Date.UTC(2026, 11, 1) };
  const html = renderPolicyPage(buildPolicyView(policy, consent, "fr"), { nonce: hostile("n"), returnTo: hostile("/r"), backTo: hostile("/b") });
  const REFS: Record<string, string> = { "&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&#39;": "'" };
  const decodeRefs = (v: string) => v.replace(/&(?:amp|lt|gt|quot|#39);/g, (r) => REFS[r]);

  it("never lets a value open an element or break out of an attribute", async () => {
    const tags = new Set<string>();
    const attrs: Array<[string, string, string]> = [];
    await new HTMLRewriter()
      .on("*", {
        element(el) {
          tags.add(el.tagName);
          // HTMLRewriter gives attribute values as written: decode the five references the page uses.
          for (const [name, value] of el.attributes) attrs.push([el.tagName, name, decodeRefs(value)]);
        },
      })
      .transform(new Response(html))
      .text();
    expect(tags.has("i")).toBe(false);
    expect(tags.has("script")).toBe(false);
    // Attribute names are only the page's own: a value never turned into an attribute.
    expect(new Set(attrs.map(([, n]) => n))).toEqual(
      new Set(["lang", "dir", "charset", "name", "content", "nonce", "class", "aria-label", "href", "rel", "aria-labelledby", "id", "method", "action", "type", "value", "checked", "disabled", "for", "role", "tabindex", "scope"]),
    );
    // Values decode back to exactly what was given.
    const value = (tag: string, attr: string, pred: (v: string) => boolean = () => true) => attrs.filter(([t, n, v]) => t === tag && n === attr && pred(v)).map(([, , v]) => v);
    expect(value("style", "nonce")).toEqual([hostile("n")]);
    expect(value("a", "href")).toEqual([hostile("/b"), "/"]);
    expect(value("input", "value", (v) => v.startsWith("/"))).toEqual([hostile("/r")]);
    expect(value("input", "name", (v) => v.startsWith("ga"))).toEqual([hostile("ga")]);
    expect(value("input", "id")).toContain(`necessary-${hostile("opendatasoft")}`);
  });

  it("escapes the text of every element, and checks only the granted switch", () => {
    const escaped = HOSTILE.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;").replaceAll("'", "&#39;");
    expect(html).not.toContain(HOSTILE);
    expect(html).toContain(`<title>Title${escaped}</title>`);
    expect(html).toContain(`<h1>Title${escaped}</h1>`);
    expect(html).toContain(`<td>F${escaped}</td>`);
    const code = (name: string) => `<bdi><code>${name}</code></bdi>`;
    expect(html).toContain(`<li>${code(`_ga${escaped}`)}: D0${escaped}</li>`);
    expect(html).toContain(`<li>${code(`_ga_${escaped}`)} (préfixe)</li>`);
    expect(html).toContain(`Pu${escaped}<ul class="plain"><li>${code(`_ga${escaped}`)}: KP${escaped}</li></ul>`);
    expect(html).toContain(`<p>P ${SITE}${escaped}${escaped}</p>`);
    const switches = [...html.matchAll(/<input type="checkbox" id="consent-[^"]*" name="([^"]*)" value="on"( checked="")?\/>/g)].map((m) => [m[1].split("&")[0], m[2] !== undefined]);
    expect(switches).toEqual([["ga", true], ["matomo", false], ["at", false]]);
  });
});

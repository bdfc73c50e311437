import { describe, expect, it } from "vitest";
import { BANNER_ID, renderBanner, rewriteHtml } from "../../src/rewrite";
import { BANNER_RESET } from "../../src/rewrite/banner";
import { BUILTIN_UI } from "../../src/i18n/strings";
import { ALL_KEYS, consentOf, htmlResponse, options, POLICY, rewrite } from "./fixtures";

const PAGE = `<!doctype html><html><head></head><body><main>x</main></body></html>`;

describe("banner", () => {
  it("is added after the end of the document when asked (the browser puts it at the end of the body), with both choices and the policy link", async () => {
    const out = await rewrite(PAGE, { banner: true, returnPath: "/explore/", pageUrl: "https://maia.opendatasoft.com/explore/" });
    expect(out.startsWith(`${PAGE}${BANNER_RESET}<div id="${BANNER_ID}" role="region" aria-label="Cookie consent" lang="en" dir="ltr" style="display:block!important;`)).toBe(true);
    expect(out.endsWith(`</div>`)).toBe(true);
    // One unpredictable form id, named by every control; every button posts to /cookies on the page's origin.
    const id = /<form id="(ce-[0-9a-f]{24})" method="post" action="https:\/\/maia\.opendatasoft\.com\/cookies">/.exec(out)?.[1];
    expect(id).toBeDefined();
    expect(out).toContain(`<input type="hidden" form="${id}" name="return" value="/explore/" />`);
    const button = (v: string, label: string) =>
      `<button type="submit" form="${id}" formaction="https://maia.opendatasoft.com/cookies" formmethod="post" formenctype="application/x-www-form-urlencoded" formtarget="_self" formnovalidate name="action" value="${v}" style="visibility:visible!important;opacity:1!important;pointer-events:auto!important">${label}</button>`;
    expect(out).toContain(button("accept", "Accept all"));
    expect(out).toContain(button("refuse", "Refuse all"));
    expect(out).toContain(`<a href="https://maia.opendatasoft.com/cookies?return=%2Fexplore%2F">`);
    expect(out.split(`form="${id}"`).length - 1).toBe(5);
    expect(out).not.toMatch(/<script|\son[a-z]+=/i);
  });

  it("is absent unless asked", async () => {
    const res = htmlResponse(PAGE);
    expect(await rewriteHtml(res, options({ consent: consentOf(...ALL_KEYS), banner: false }))).toBe(res);
    expect(await rewrite(PAGE)).not.toContain(BANNER_ID);
  });

  it("is shown on a fully consented page when asked (the caller decides)", async () => {
    expect(await rewrite(PAGE, { banner: true, consent: consentOf(...ALL_KEYS) })).toContain(BANNER_ID);
  });

  it("is never added to non-HTML responses", async () => {
    const res = new Response(`{"a":"</body>"}`, { headers: { "content-type": "application/json" } });
    expect(await rewriteHtml(res, options({ banner: true }))).toBe(res);
  });

  it("escapes the return path", async () => {
    const out = await rewrite(PAGE, { banner: true, returnPath: `/a?q="><script>alert(1)</script>&x='y` });
    expect(out).toContain(`value="/a?q=&#34;&#62;&#60;script&#62;alert(1)&#60;/script&#62;&#38;x=&#39;y"`);
    // The policy link carries it too, percent-encoded: nothing of it can close the attribute.
    expect(out).toContain(`<a href="/cookies?return=%2Fa%3Fq%3D%22%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E%26x%3D&#39;y">`);
    expect(out).not.toContain("<script>");
  });

  it("speaks French, and uses the policy's own text escaped, in the visitor's language", async () => {
    const fr = await rewrite(PAGE, { banner: true, lang: "fr" });
    expect(fr).toContain(`lang="fr"`);
    expect(fr).toContain(BUILTIN_UI.fr.acceptAll);
    expect(fr).toContain(BUILTIN_UI.fr.refuseAll);
    const policy = { ...POLICY, banner: { enabled: true, text: { en: "We <3 stats", fr: "Nous & les stats" } } };
    expect(await rewrite(PAGE, { banner: true, policy, lang: "fr" })).toContain(`<p>Nous &#38; les stats</p>`);
    expect(await rewrite(PAGE, { banner: true, policy, lang: "en" })).toContain(`<p>We &#60;3 stats</p>`);
    // A text the policy has only in its default language is that language's, and says so.
    const enOnly = { ...POLICY, banner: { enabled: true, text: { en: "English only" } } };
    expect(await rewrite(PAGE, { banner: true, policy: enOnly, lang: "fr" })).toContain(`<p lang="en" dir="ltr">English only</p>`);
  });

  it("is not added to a frameset document, which would ignore it, and the page stays whole", async () => {
    const frames = `<!doctype html><html><head></head><frameset cols="50%,50%"><frame src="/a"><frame src="/b"></frameset></html>`;
    const out = await rewrite(frames, { banner: true });
    expect(out).not.toContain(BANNER_ID);
    expect(out).toContain(`<frame src="/b"></frameset></html>`);
  });

  it("closes a page without </body>, and appears once with two <body> tags", async () => {
    const noEnd = await rewrite(`<p>short page`, { banner: true });
    expect(noEnd.startsWith(`<p>short page${BANNER_RESET}<div id="${BANNER_ID}"`)).toBe(true);
    const twice = await rewrite(`<body>a</body><body>b</body>`, { banner: true });
    expect(twice.split(`id="${BANNER_ID}"`).length).toBe(2);
  });

  it("comes after an unclosed inline tracker is flushed, the script closed first (BANNER_RESET)", async () => {
    const out = await rewrite(`<body><script>gtag('x')`, { banner: true });
    expect(out.startsWith(`<body><script type="text/plain" data-consent-blocked="ga">gtag('x')${BANNER_RESET}<div id="${BANNER_ID}"`)).toBe(true);
  });
});

describe("banner rendering, kept per policy and language", () => {
  it("each page gets its own return path, escaped, even right after another page's", () => {
    const a = renderBanner(POLICY, "en", "/a?x=1&y=<\"'>");
    const b = renderBanner(POLICY, "en", "/b/");
    expect(a).toContain(`name="return" value="/a?x=1&#38;y=&#60;&#34;&#39;&#62;" />`);
    expect(a).toContain(`href="/cookies?return=%2Fa%3Fx%3D1%26y%3D%3C%22&#39;%3E"`);
    expect(b).toContain(`name="return" value="/b/" />`);
    expect(b).toContain(`href="/cookies?return=%2Fb%2F"`);
    expect(b).not.toContain("/a?");
    // Each render has its own form id; otherwise only the return path differs.
    const same = (html: string) => html.replace(/ce-[0-9a-f]{24}/g, "ce-ID").replace(/name="return" value="[^"]*"/, "").replace(/return=[^"]*"/, "");
    expect(same(a)).toBe(same(b));
    expect(a.match(/ce-[0-9a-f]{24}/)![0]).not.toBe(b.match(/ce-[0-9a-f]{24}/)![0]);
  });

  it("another policy, or another language, renders its own text", () => {
    const custom = { ...POLICY, banner: { enabled: true, text: { en: "Our <own> words", fr: "Nos mots" } } };
    expect(renderBanner(custom, "en", "/")).toContain(`<p>Our &#60;own&#62; words</p>`);
    expect(renderBanner(custom, "fr", "/")).toContain(`<p>Nos mots</p>`);
    expect(renderBanner(POLICY, "fr", "/")).toContain(`lang="fr"`);
    expect(renderBanner(POLICY, "en", "/")).not.toContain("Our &#60;own&#62; words");
  });
});

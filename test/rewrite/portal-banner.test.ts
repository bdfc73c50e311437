// portalBanner.hide: one CSS rule shipped with the worker's banner (inline, or in the tenant's
// linked stylesheet for pages that pass unparsed), which hides the portal's own banner while the
// worker's is due and can hide neither the worker's banner nor an element holding it. The banner
// in a right-to-left language says so.
import { describe, expect, it } from "vitest";
import { BANNER_CSS, BANNER_CSS_PATH, BANNER_CSS_URL, BANNER_ID, bannerBytes, bannerCss, bannerStylesheet, renderBanner } from "../../src/rewrite/banner";
import { compilePolicy } from "../../src/policy/compile";
import { BASE, POLICY } from "./fixtures";

const HIDE = "#portal-cookies, .ods-cookie-banner > div";
const WITH = compilePolicy({ ...BASE, portalBanner: { hide: HIDE } });
const RULE = `:is(${HIDE}):not(#${BANNER_ID}):not(:has(#${BANNER_ID})){display:none!important}`;

describe("portalBanner", () => {
  it("ships the hiding rule inside the banner's own <style>, after the banner's rules", () => {
    const html = renderBanner(WITH, "en", "/");
    expect(html).toContain(`<style>${BANNER_CSS}${RULE}</style>`);
    expect(bannerCss(WITH)).toBe(BANNER_CSS + RULE);
  });

  it("a policy without portalBanner ships the banner's stylesheet unchanged", () => {
    expect(renderBanner(POLICY, "en", "/")).toContain(`<style>${BANNER_CSS}</style>`);
    expect(bannerCss(POLICY)).toBe(BANNER_CSS);
  });

  it("pages that pass unparsed link the tenant's own stylesheet, versioned by its content", async () => {
    const linked = new TextDecoder().decode(bannerBytes(WITH, "en", "/"));
    const href = /<link rel="stylesheet" href="([^"]+)"/.exec(linked)![1];
    expect(href.startsWith(`${BANNER_CSS_PATH}?v=`)).toBe(true);
    expect(href).not.toBe(BANNER_CSS_URL);
    expect(new TextDecoder().decode(bannerBytes(POLICY, "en", "/"))).toContain(`href="${BANNER_CSS_URL}"`);
    const res = bannerStylesheet("GET", WITH);
    expect(await res.text()).toBe(BANNER_CSS + RULE);
    expect(await bannerStylesheet("GET", POLICY).text()).toBe(BANNER_CSS);
    expect(bannerStylesheet("POST", WITH).status).toBe(405);
  });
});

describe("the banner's language and direction", () => {
  it("says lang and dir on its element, rtl for Arabic, and posts the language shown", () => {
    const ar = renderBanner(POLICY, "ar", "/", { formId: "ce-f" });
    expect(ar).toContain(`<div id="${BANNER_ID}" role="region" aria-label="${POLICY.uiStrings("ar").bannerLabel}" lang="ar" dir="rtl" style="`);
    expect(ar).toContain(`<input type="hidden" form="ce-f" name="lang" value="ar" />`);
    // A language the policy does not offer: the default language, and the form says so.
    const xx = renderBanner(POLICY, "xx", "/", { formId: "ce-f" });
    expect(xx).toContain(`lang="en" dir="ltr" style="`);
    expect(xx).toContain(`<input type="hidden" form="ce-f" name="lang" value="en" />`);
  });
  it("mirrors by logical properties: no physical left/right margin on its controls", () => {
    expect(BANNER_CSS).toContain("margin-inline-end");
    expect(BANNER_CSS).not.toMatch(/button\{margin:0 \.5em/);
  });
});

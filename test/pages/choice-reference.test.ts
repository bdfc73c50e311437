// The /cookies page names the visitor's choice by its record: date and reference, when the
// trusted consent carries them; the forms say where a choice is made (hidden from and lang).
import { describe, expect, it } from "vitest";
import { NECESSARY_ONLY, type Consent } from "../../src/consent/types";
import { parsePreferenceForm } from "../../src/pages/form";
import { renderPolicyPage } from "../../src/pages/policy-page";
import { buildPolicyView, formatDecisionTime } from "../../src/pages/view";
import { renderBanner } from "../../src/rewrite/banner";
import { POLICY } from "./fixture";

const ID = "Mz3yy-maXOpHEGuIgpQH4g";
const AT = Date.UTC(2026, 11, 1, 8, 58);
const chosen = (extra: Partial<Consent>): Consent => ({ explicit: true, source: "cookie", granted: new Set(), ...extra });

describe("your choice of <date>, reference <id>", () => {
  it("is shown with the record id and the time, in the page's language", () => {
    const en = renderPolicyPage(buildPolicyView(POLICY, chosen({ recordId: ID, decidedAt: AT }), "en"), { nonce: "n", returnTo: "/" });
    expect(en).toContain(`<p id="choice-reference">Your choice of 1 December 2026 at 08:58 UTC, reference <bdi><code>${ID}</code></bdi>.</p>`);
    const fr = renderPolicyPage(buildPolicyView(POLICY, chosen({ recordId: ID, decidedAt: AT }), "fr"), { nonce: "n", returnTo: "/" });
    expect(fr).toMatch(new RegExp(`Votre choix du 1 décembre 2026[^<]*08:58 UTC, référence <bdi><code>${ID}</code></bdi>`));
  });

  it("is absent without a record id, without a time, or without an explicit choice", () => {
    for (const consent of [chosen({}), chosen({ recordId: ID }), chosen({ decidedAt: AT }), { ...NECESSARY_ONLY, recordId: ID, decidedAt: AT }]) {
      expect(renderPolicyPage(buildPolicyView(POLICY, consent, "en"), { nonce: "n", returnTo: "/" })).not.toContain("choice-reference");
    }
  });

  it("formats the time in UTC", () => {
    expect(formatDecisionTime(Date.UTC(2027, 0, 31, 23, 59), "en")).toBe("31 January 2027 at 23:59 UTC");
  });
});

describe("where a choice is made", () => {
  it("the page form and the banner carry from and lang, which the form parser reads strictly", () => {
    const page = renderPolicyPage(buildPolicyView(POLICY, NECESSARY_ONLY, "fr"), { nonce: "n", returnTo: "/" });
    expect(page).toContain('<input type="hidden" name="from" value="page"/>');
    expect(page).toContain('<input type="hidden" name="lang" value="fr"/>');
    const banner = renderBanner(POLICY, "en", "/", { formId: "ce-f" });
    expect(banner).toContain('<input type="hidden" form="ce-f" name="from" value="banner" />');
    expect(banner).toContain('<input type="hidden" form="ce-f" name="lang" value="en" />');
    const form = (q: string) => parsePreferenceForm(new URLSearchParams(q), POLICY);
    expect(form("action=accept&from=banner&lang=fr")).toMatchObject({ ok: true, place: "banner", lang: "fr" });
    expect(form("action=accept&from=<script>&lang=xx")).toMatchObject({ ok: true, place: "other", lang: undefined });
    expect(form("action=accept&lang=de")).toMatchObject({ ok: true, lang: "de" });
    expect(form("action=accept")).toMatchObject({ ok: true, place: "other", lang: undefined });
  });
});

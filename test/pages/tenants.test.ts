// /cookies for every bundled tenant: the real Opendatasoft policy text, each tenant's own URL,
// and a save that parses back, so a sixth tenant file is covered without code.
import { describe, expect, it } from "vitest";
import { parseConsent } from "../../src/consent/parse";
import { CONSENT_COOKIE } from "../../src/consent/serialize";
import { POLICIES } from "../../src/policy";
import { TENANTS } from "../../src/policy/bundled.generated";
import { defaultLang } from "../../src/i18n/choose";
import { localizeText } from "../../src/pages/i18n";
import { makeApp } from "./fixture";

describe.each(POLICIES.all.map((p) => [p.id, p] as const))("tenant %s", (_, policy) => {
  const app = makeApp(policy);
  const url = `https://${policy.hosts[0]}/cookies`;

  it.each([...policy.strings.keys()])("renders every section with the tenant URL and every service (%s)", async (lang) => {
    const html = await (await app.request(`${url}?lang=${lang}`)).text();
    expect(html).toContain(`<html lang="${lang}" dir="${policy.uiStrings(lang).dir}">`);
    expect(html).not.toContain("{site}");
    expect(html).not.toMatch(/<script/i);
    const escape = (s: string) => s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll("'", "&#39;").replaceAll('"', "&quot;");
    for (const sec of policy.sections) {
      expect(html).toContain(escape(localizeText(sec.heading, lang, defaultLang(policy)).text.replaceAll("{site}", policy.siteUrl)));
    }
    expect(html).toContain(escape(policy.siteUrl));
    for (const s of policy.services) expect(html).toContain(`<th scope="row"><bdi>${escape(s.provider)}</bdi></th>`);
    // Every cookie's own "Function and location", else its service's, sits in the row naming it.
    for (const s of policy.services) {
      for (const k of s.cookies) {
        const t = localizeText(k.function ?? s.function, lang, defaultLang(policy));
        const fn = escape(t.text.replaceAll("{site}", policy.siteUrl));
        const td = t.lang === undefined || t.lang === lang ? "<td>" : `<td lang="${t.lang}">`;
        const row = html.split("<tr>").find((r) => r.includes(`<code>${escape(k.name)}</code>`) && r.includes(`<th scope="row"><bdi>${escape(s.provider)}</bdi></th>`));
        expect(row, `${s.id}/${k.name}`).toContain(`${td}${fn}</td>`);
      }
    }
  });

  it("declares every service in JSON and saves a choice that parses back", async () => {
    const body = (await (await app.request(url, { headers: { accept: "application/json" } })).json()) as any;
    expect(body.tenant).toBe(policy.id);
    expect(body.services.map((s: any) => s.id)).toEqual(policy.services.map((s) => s.id));
    const res = await app.request(url, {
      method: "POST",
      body: "action=accept",
      headers: { "content-type": "application/x-www-form-urlencoded", "sec-fetch-site": "same-origin" },
    });
    expect(res.status).toBe(303);
    const line = res.headers.getSetCookie().find((l) => l.startsWith(`${CONSENT_COOKIE}=`))!;
    const consent = parseConsent([line.split(";")[0].slice(CONSENT_COOKIE.length + 1)], policy, { gpc: false });
    const optional = new Set(policy.services.filter((s) => s.category !== "necessary").map((s) => s.consentKey));
    expect(consent.explicit).toBe(true);
    expect([...consent.granted].sort()).toEqual([...optional].sort());
  });
});

it("covers every bundled tenant file", () => {
  expect(POLICIES.all.map((p) => `${p.id}.json`).sort()).toEqual(Object.keys(TENANTS).sort());
});

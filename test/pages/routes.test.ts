// /cookies through a Hono<AppEnv> that sets c.var as the core middleware does: the page in
// three formats, headers, language choice, and the preference form end to end.
import { describe, expect, it } from "vitest";
import { parseConsent } from "../../src/consent/parse";
import { consentKey, newConsentRecord, RECORD_COOKIE, RECORD_COOKIE_HTTP, signConsentRecord } from "../../src/consent/record";
import { CONSENT_COOKIE, serializeConsent } from "../../src/consent/serialize";
import { compilePolicy } from "../../src/policy/compile";
import type { CompiledPolicy } from "../../src/policy/types";
import { TEST_CONSENT_SECRET } from "../secret";
import { makeApp, POLICY, SITE, tenantPolicy } from "./fixture";

const HTTPS = `${SITE}/cookies`;
const HTTP = "http://maia.opendatasoft.com/cookies";
const app = makeApp();

function get(headers: Record<string, string> = {}, url = HTTPS) {
  return app.request(url, { headers });
}

function post(body: string, headers: Record<string, string> = {}, url = HTTPS) {
  return app.request(url, {
    method: "POST",
    body,
    headers: { "content-type": "application/x-www-form-urlencoded", origin: new URL(url).origin, ...headers },
  });
}

/** The cookies_preferences value a response writes, and the others it writes, by name. */
function written(res: Response) {
  const lines = res.headers.getSetCookie();
  const consentLine = lines.find((l) => l.startsWith(`${CONSENT_COOKIE}=`) && !l.startsWith(`${CONSENT_COOKIE}=;`));
  const value = consentLine?.split(";")[0].slice(CONSENT_COOKIE.length + 1);
  // Each name once: a cookie is expired host-only and on the parent domain (where a sibling may have written it).
  const expired = [...new Set(lines.filter((l) => l.includes("Max-Age=0")).map((l) => l.split("=")[0]))];
  const recordLine = lines.find((l) => l.startsWith(`${RECORD_COOKIE}=`) || l.startsWith(`${RECORD_COOKIE_HTTP}=`));
  /** The trusted record as the browser sends it back: `name=value`. */
  const record = recordLine?.split(";")[0];
  return { consentLine, value, expired, recordLine, record };
}

/** A trusted record pair for https, signed with the test secret as the POST handler signs it. */
async function signed(granted: string[], policy: CompiledPolicy = POLICY): Promise<string> {
  const value = await signConsentRecord(newConsentRecord(granted, Date.now()), policy, await consentKey(TEST_CONSENT_SECRET)!);
  return `${RECORD_COOKIE}=${value}`;
}

function grantedBy(value: string | undefined) {
  const c = parseConsent(value === undefined ? [] : [value], POLICY, { gpc: false });
  return { explicit: c.explicit, granted: [...c.granted].sort() };
}

describe("GET /cookies (HTML)", () => {
  it("renders every section with the tenant URL, escaped, and the tables", async () => {
    const res = await get();
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=UTF-8");
    const html = await res.text();
    expect(html).toContain('<html lang="en" dir="ltr">');
    for (const h of ["Cookie notice", "What is a cookie?", "Strictly necessary cookies", `What cookies are used on the ${SITE} platform`]) {
      expect(html).toContain(`>${h}</h`);
    }
    expect(html).toContain(`We use cookies on ${SITE}.`);
    expect(html).toContain("Platform, https://maia.opendatasoft.com");
    expect(html).not.toContain("{site}");
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(html).toContain('<th scope="row"><bdi>Google Analytics</bdi></th>');
    expect(html).toContain("<bdi><code>_ga_</code></bdi> (prefix)");
    expect(html).toContain("<bdi><code>atuserid</code></bdi> (HttpOnly)");
    expect(html).toContain("You have not made a choice yet");
    expect(html).toContain('<input type="hidden" name="return" value="/cookies"/>');
    expect(html).toContain("Your choice is kept in the <bdi><code>cookies_preferences</code></bdi> cookie for 6 months.");
  });

  it("offers accept and refuse as equal submit buttons, one switch per optional key, and save", async () => {
    const html = await (await get()).text();
    expect(html).toContain('<form method="post" action="/cookies">');
    expect(html).toContain('<button type="submit" name="action" value="accept">Accept all</button>');
    expect(html).toContain('<button type="submit" name="action" value="refuse">Refuse all</button>');
    expect(html).toContain('<button type="submit" class="save" name="action" value="save">Save my choices</button>');
    for (const key of ["ga", "matomo", "at"]) expect(html).toContain(`id="consent-${key}" name="${key}" value="on"/>`);
    expect(html).toContain('<input type="checkbox" id="necessary-opendatasoft" checked="" disabled=""/>');
  });

  it("shows the current choice and pre-checks granted services", async () => {
    const html = await (await get({ cookie: await signed(["matomo"]) })).text();
    expect(html).toContain("You have made a choice:");
    expect(html).toContain("<bdi>Matomo &lt;b&gt;&amp;&lt;/b&gt; | co</bdi> (Statistics): allowed");
    expect(html).toContain("<bdi>Google Analytics</bdi> (Statistics): refused");
    expect(html).toContain('id="consent-matomo" name="matomo" value="on" checked=""/>');
    expect(html).toContain('id="consent-ga" name="ga" value="on"/>');
  });

  it("carries a safe ?return= into the form and drops an unsafe one", async () => {
    expect(await (await get({}, `${HTTPS}?return=%2Fexplore%3Fq%3D1`)).text()).toContain('name="return" value="/explore?q=1"/>');
    expect(await (await get({}, `${HTTPS}?return=%2F%2Fevil.com`)).text()).toContain('name="return" value="/cookies"/>');
  });

  it("sends a strict CSP with the style nonce, and the other security headers", async () => {
    const res = await get();
    const csp = res.headers.get("content-security-policy")!;
    const nonce = /style-src 'nonce-([^']+)'/.exec(csp)?.[1];
    expect(nonce).toMatch(/^[A-Za-z0-9+/]{22}==$/);
    expect(csp).toBe(`default-src 'none'; style-src 'nonce-${nonce}'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`);
    expect(await res.text()).toContain(`<style nonce="${nonce}">`);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("referrer-policy")).toBe("same-origin");
    expect(res.headers.get("cache-control")).toBe("private, no-store");
    expect(res.headers.get("vary")).toBe("Accept, Accept-Language, Cookie");
    const other = (await get()).headers.get("content-security-policy");
    expect(other).not.toBe(csp); // a fresh nonce per response
  });
});

describe("/cookies/ (trailing slash)", () => {
  it.each(["GET", "HEAD", "POST"])("%s answers 308 to /cookies, keeping the query", async (method) => {
    const res = await app.request(`${HTTPS}/?lang=fr&return=%2Fx`, { method });
    expect(res.status).toBe(308);
    expect(res.headers.get("location")).toBe("/cookies?lang=fr&return=%2Fx");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
  });
  it("without a query, to the bare path", async () => {
    const res = await app.request(`${HTTPS}/`);
    expect(res.headers.get("location")).toBe("/cookies");
  });
});

describe("language", () => {
  const langOf = async (headers: Record<string, string>, query = "") => {
    const res = await get(headers, HTTPS + query);
    const html = await res.text();
    return [/<html lang="(\w+)" dir="ltr">/.exec(html)?.[1], res.headers.get("content-language")];
  };
  it("follows ?lang=, then django_language, then Accept-Language, else English", async () => {
    expect(await langOf({})).toEqual(["en", "en"]);
    expect(await langOf({ "accept-language": "fr-FR,fr;q=0.9,en;q=0.5" })).toEqual(["fr", "fr"]);
    expect(await langOf({ "accept-language": "fr", cookie: "django_language=en" })).toEqual(["en", "en"]);
    expect(await langOf({ "accept-language": "en", cookie: "django_language=fr" })).toEqual(["fr", "fr"]);
    expect(await langOf({ cookie: "django_language=fr" }, "?lang=en")).toEqual(["en", "en"]);
    expect(await langOf({ "accept-language": "zz" }, "?lang=xx")).toEqual(["en", "en"]); // no such languages
  });
  it("translates the UI and the policy text", async () => {
    const html = await (await get({}, `${HTTPS}?lang=fr`)).text();
    expect(html).toContain("<title>Politique de cookies</title>");
    expect(html).toContain(`Nous utilisons des cookies sur ${SITE}.`);
    expect(html).toContain(">Tout accepter</button>");
    expect(html).toContain(">Tout refuser</button>");
    expect(html).toContain("<caption>Cookies de la catégorie : Statistiques</caption>");
    expect(html).toContain("13 mois");
    expect(html).toContain("<p>A small text file.</p>"); // a plain string is the same in every language
  });
});

describe("content negotiation", () => {
  it("answers JSON with the declaration and the visitor's consent", async () => {
    const res = await get({ accept: "application/json", cookie: await signed(["ga"]) });
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(res.headers.get("vary")).toBe("Accept, Accept-Language, Cookie");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    const body = (await res.json()) as any;
    expect(body).toMatchObject({ tenant: "maia", revision: "2026-11", siteUrl: SITE, lang: "en" });
    expect(body.consent).toMatchObject({ explicit: true, source: "cookie", granted: ["ga"] });
    expect(body.categories.map((c: any) => [c.id, c.services])).toEqual([
      ["necessary", ["opendatasoft"]],
      ["functional", ["at"]],
      ["statistics", ["ga", "matomo"]],
      ["marketing", []],
    ]);
    const ga = body.services.find((s: any) => s.id === "ga");
    expect(ga).toMatchObject({ consentKey: "ga", category: "statistics", provider: "Google Analytics" });
    expect(ga.cookies).toEqual([
      { name: "_ga", prefix: false, duration: "13 months", httpOnly: false },
      { name: "_ga_", prefix: true, duration: "13 months", httpOnly: false },
    ]);
  });

  it("reports GPC as the source when there is no choice", async () => {
    const body = (await (await get({ accept: "application/json", "sec-gpc": "1" })).json()) as any;
    expect(body.consent).toEqual({ explicit: false, source: "gpc", granted: [] });
  });

  it("answers Markdown", async () => {
    const res = await get({ accept: "text/markdown", "accept-language": "fr" });
    expect(res.headers.get("content-type")).toBe("text/markdown; charset=utf-8");
    const md = await res.text();
    expect(md.startsWith("# Politique de cookies\n")).toBe(true);
    expect(md).toContain(`## What cookies are used on the ${SITE} platform`);
    expect(md).toContain("| Fournisseur | Fonction et emplacement | Noms des cookies | Finalité | Durée |");
  });

  it("answers HEAD with the GET headers and no body", async () => {
    for (const accept of ["text/html", "application/json", "text/markdown"]) {
      const res = await app.request(HTTPS, { method: "HEAD", headers: { accept } });
      expect(res.status).toBe(200);
      expect(res.headers.get("vary")).toBe("Accept, Accept-Language, Cookie");
      expect(res.headers.get("content-security-policy")).toContain("default-src 'none'");
      expect(res.headers.get("content-type")).toContain(accept);
      expect(await res.text()).toBe("");
    }
  });

  it("refuses other methods with 405 and Allow", async () => {
    const res = await app.request(HTTPS, { method: "PUT", body: "x" });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("GET, HEAD, POST");
  });
});

describe("POST /cookies", () => {
  it("accept writes every optional key with the revision, Secure on https, and redirects 303", async () => {
    const res = await post("action=accept&return=%2F");
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/");
    const { consentLine, value } = written(res);
    expect(consentLine).toMatch(/; Path=\/; Max-Age=15552000; Expires=[^;]+; SameSite=Lax; Secure$/);
    expect(decodeURIComponent(value!)).toContain('"revision":"2026-11"');
    expect(grantedBy(value)).toEqual({ explicit: true, granted: ["at", "ga", "matomo"] });
    expect(res.headers.get("cache-control")).toBe("private, no-store");
  });

  it("omits Secure on http", async () => {
    const { consentLine } = written(await post("action=accept", {}, HTTP));
    expect(consentLine).toBeDefined();
    expect(consentLine).not.toContain("Secure");
  });

  it("refuse writes nothing granted and expires every carried optional cookie, HttpOnly ones too", async () => {
    const cookie = "sessionid=s; csrftoken=t; _ga=GA1; _ga_ABC=x; _pk_id.1.abcd=y; atuserid=z; cookies_preferences=old";
    const res = await post("action=refuse", { cookie });
    const { value, expired } = written(res);
    expect(grantedBy(value)).toEqual({ explicit: true, granted: [] });
    // The carried cookies_preferences may be a sibling's copy on the parent domain: deleted there, then rewritten host-only.
    expect(expired.sort()).toEqual(["_ga", "_ga_ABC", "_pk_id.1.abcd", "atuserid", "cookies_preferences"]);
    const lines = res.headers.getSetCookie();
    expect(lines.find((l) => l.startsWith("cookies_preferences=;"))).toMatch(/; Domain=opendatasoft\.com; /);
    expect(lines.findIndex((l) => l.startsWith("cookies_preferences=;"))).toBeLessThan(lines.findIndex((l) => /^cookies_preferences=[^;]/.test(l)));
    expect(lines.find((l) => l.startsWith("_ga="))).toMatch(/^_ga=; Max-Age=0; .*Path=\/.*; Secure/);
    for (const name of ["_ga", "_ga_ABC", "_pk_id.1.abcd", "atuserid"]) {
      expect(lines.some((l) => l.startsWith(`${name}=; Max-Age=0;`) && l.includes("; Domain=opendatasoft.com;")), name).toBe(true);
    }
  });

  it("save grants the checked keys only and expires the cookies of the others", async () => {
    const res = await post("action=save&matomo=on&return=%2Fexplore", { cookie: "_ga=1; _pk_id.1.abcd=y; atuserid=z" });
    expect(res.headers.get("location")).toBe("/explore");
    const { value, expired } = written(res);
    expect(grantedBy(value)).toEqual({ explicit: true, granted: ["matomo"] });
    expect(expired.sort()).toEqual(["_ga", "atuserid"]);
  });

  it("withdrawing statistics after accepting expires the statistics cookies the browser now carries", async () => {
    const accepted = written(await post("action=accept")).record!;
    const before = await get({ accept: "application/json", cookie: `${accepted}; _ga=1; _ga_X=2` });
    expect(((await before.json()) as any).consent.granted).toEqual(["at", "ga", "matomo"]);
    const res = await post("action=save&at=on", { cookie: `${accepted}; _ga=1; _ga_X=2; atuserid=3` });
    const { value, expired } = written(res);
    expect(grantedBy(value).granted).toEqual(["at"]);
    expect(expired.sort()).toEqual(["_ga", "_ga_X"]);
  });

  it.each([
    ["%2Fexplore%2Fdataset%2Fx%2F%3Fq%3Da%23b", "/explore/dataset/x/?q=a#b"],
    ["%2F", "/"],
    ["%2F%2Fevil.com", "/cookies"],
    ["https%3A%2F%2Fevil.com", "/cookies"],
    ["javascript%3Aalert(1)", "/cookies"],
    ["%2F%5Cevil.com", "/cookies"],
    ["%2F%0d%0aSet-Cookie%3A%20x%3D1", "/cookies"],
    ["%2F%09%2Fevil.com", "/cookies"],
    ["", "/cookies"],
  ])("return=%s redirects to %s", async (ret, location) => {
    const res = await post(`action=refuse&return=${ret}`);
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe(location);
  });

  it.each([
    ["Origin of another host", { origin: "https://evil.com" }],
    ["Origin of a sibling tenant", { origin: "https://other.opendatasoft.com" }],
    ["Origin of the same host over http", { origin: "http://maia.opendatasoft.com" }],
    ["Origin null", { origin: "null" }],
    ["Sec-Fetch-Site cross-site", { origin: undefined, "sec-fetch-site": "cross-site" }],
    ["Sec-Fetch-Site same-site", { origin: undefined, "sec-fetch-site": "same-site" }],
  ] as const)("refuses a cross-site post: %s → 403, no cookie", async (_, headers) => {
    const h: Record<string, string> = { "content-type": "application/x-www-form-urlencoded" };
    for (const [k, v] of Object.entries(headers)) if (v !== undefined) h[k] = v;
    const res = await app.request(HTTPS, { method: "POST", body: "action=accept", headers: h });
    expect(res.status).toBe(403);
    expect(res.headers.getSetCookie()).toEqual([]);
  });

  it.each([
    ["same Origin", { origin: SITE }],
    ["Sec-Fetch-Site same-origin", { "sec-fetch-site": "same-origin" }],
    ["neither header (curl)", {}],
  ] as const)("allows a same-origin post: %s", async (_, headers) => {
    const res = await app.request(HTTPS, {
      method: "POST",
      body: "action=accept",
      headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    });
    expect(res.status).toBe(303);
  });

  it("refuses an oversize body with 413", async () => {
    const res = await post(`action=accept&pad=${"a".repeat(9000)}`);
    expect(res.status).toBe(413);
    expect(res.headers.getSetCookie()).toEqual([]);
  });

  it("refuses an oversize streamed body (no Content-Length) with 413", async () => {
    const chunk = new TextEncoder().encode("a".repeat(4096));
    const body = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 3; i++) controller.enqueue(chunk);
        controller.close();
      },
    });
    const res = await app.request(HTTPS, {
      method: "POST",
      body,
      headers: { "content-type": "application/x-www-form-urlencoded", origin: SITE },
      // @ts-expect-error duplex is required for a streamed request body
      duplex: "half",
    });
    expect(res.status).toBe(413);
  });

  it.each([
    ["no action", "return=%2F"],
    ["an unknown action", "action=delete"],
    ["two actions", "action=accept&action=refuse"],
    ["bytes that are not a form", "%ff%fe\u0000{]"],
  ])("answers 400 for %s", async (_, body) => {
    const res = await post(body);
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
    expect(res.headers.getSetCookie()).toEqual([]);
  });

  it("answers 415 for a body that is not urlencoded", async () => {
    const res = await post('{"action":"accept"}', { "content-type": "application/json" });
    expect(res.status).toBe(415);
    expect(res.headers.getSetCookie()).toEqual([]);
  });
});

describe("re-consent across policy revisions", () => {
  const json = async (cookie: string, policyApp = app) =>
    ((await (await policyApp.request(HTTPS, { headers: { accept: "application/json", cookie } })).json()) as any).consent;

  it("a choice saved under another revision no longer counts; one saved here does", async () => {
    const old = await signed(["ga"], compilePolicy(tenantPolicy({ revision: "2025-01" })));
    expect(await json(old)).toEqual({ explicit: false, source: "default", granted: [] });
    const html = await (await get({ cookie: old })).text();
    expect(html).toContain("You have not made a choice yet");

    const fresh = written(await post("action=save&ga=on", { cookie: old })).record!;
    expect(await json(fresh)).toMatchObject({ explicit: true, source: "cookie", granted: ["ga"] });
    // The same record is outdated for a tenant whose policy moved on.
    expect((await json(fresh, makeApp(compilePolicy(tenantPolicy({ revision: "2027-01" }))))).explicit).toBe(false);
  });

  it("a cookies_preferences grant, current revision or none, is never a choice: any sibling host can write it", async () => {
    const current = serializeConsent(["ga"], POLICY, Date.now());
    const banner = encodeURIComponent(JSON.stringify({ ga: true, matomo: false, at: false, timestamp: 1_700_000_000_000 }));
    for (const value of [current, banner]) {
      expect(await json(`${CONSENT_COOKIE}=${value}`)).toEqual({ explicit: false, source: "default", granted: [] });
    }
  });
});

describe("the way back from /cookies", () => {
  it.each([
    ["/explore?q=air", `<a href="/explore?q=air" rel="prev">`],
    ["//evil.example/x", null],
    ["https://evil.example/", null],
    ["/cookies", null],
  ])("return=%s", async (value, link) => {
    const html = await (await get({}, `${HTTPS}?return=${encodeURIComponent(value)}`)).text();
    expect(html).toContain('<a href="/">Portal home</a>');
    if (link) expect(html).toContain(link);
    else expect(html).not.toContain('rel="prev"');
    expect(html).not.toContain("evil.example");
  });

  it("says that a table scrolls sideways on narrow screens", async () => {
    const html = await (await get()).text();
    expect(html).toContain('<p class="scroll-hint">Scroll sideways to see the whole table.</p>');
    expect(html).toMatch(/@media \(max-width:40rem\)\{[^}]*\}[^@]*\.scroll-hint\{display:block\}/);
  });
});

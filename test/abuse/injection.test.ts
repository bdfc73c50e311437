// Header injection, cross-site form posts, open redirects, markup in policy texts, and the size
// and readability of the consent cookie the worker writes.
import { describe, expect, it } from "vitest";
import { parseConsent } from "../../src/consent/parse";
import { CONSENT_COOKIE } from "../../src/consent/serialize";
import { optionalConsentKeys } from "../../src/pages/view";
import { POLICIES } from "../../src/policy";
import { compilePolicy } from "../../src/policy/compile";
import { renderBanner } from "../../src/rewrite/banner";
import { makeApp, tenantPolicy } from "../pages/fixture";
import { MAIA, call, respondPath, setCookies } from "../helpers";

const CRLF_PAYLOADS = [
  "%0D%0ASet-Cookie:%20evil=1",
  "%0d%0aX-Evil:%201",
  "%0ASet-Cookie:evil=1",
  "%E5%98%8A%E5%98%8DSet-Cookie:evil=1", // U+560A U+560D: bytes that end in 0A/0D when truncated to Latin-1
  "\r\nSet-Cookie: evil=1",
];

/** No header of the response carries CR, LF or an injected name, and no cookie named evil is set. */
function expectCleanHeaders(res: Response): void {
  for (const [name, value] of res.headers) {
    expect(name).not.toMatch(/evil/i);
    expect(value).not.toMatch(/[\r\n]/);
  }
  expect(setCookies(res).some((l) => /^\s*evil=/i.test(l))).toBe(false);
  expect(res.headers.has("x-evil")).toBe(false);
}

const form = (body: string, headers: Record<string, string> = {}) =>
  call("/cookies", {
    method: "POST",
    body,
    headers: { "content-type": "application/x-www-form-urlencoded", origin: `http://${MAIA}`, ...headers },
  });

describe("header injection", () => {
  it.each(CRLF_PAYLOADS)("through the consent cookie (%j): filtered response, clean headers", async (payload) => {
    const value = payload.replace(/[\r\n]/g, "");
    const cookie = `cookies_preferences=${value}; consent-edge-http=${value}; _ga=1`;
    const res = await call(respondPath({ setCookies: ["csrftoken=t; Path=/", "_ga=2; Path=/"], body: "ok" }), { headers: { cookie } });
    expect(res.status).toBe(200);
    expectCleanHeaders(res);
    // Unreadable consent fails closed: _ga is stripped and the carried one expired, the untrusted cookies_preferences deleted.
    const lines = setCookies(res);
    expect(lines[0]).toBe("csrftoken=t; Path=/");
    expect(lines.slice(1).every((l) => /^(_ga|cookies_preferences)=; Max-Age=0/.test(l))).toBe(true);
    expect(lines.some((l) => l.startsWith("_ga="))).toBe(true);
    expect(await res.text()).toBe("ok");
  });

  it.each(CRLF_PAYLOADS)("through the return field of POST /cookies (%j): 303 to a clean path", async (payload) => {
    const res = await form(`action=accept&return=/explore${encodeURIComponent(payload).replace(/%25/g, "%")}`);
    expect(res.status).toBe(303);
    expectCleanHeaders(res);
    const location = res.headers.get("location")!;
    expect(location.startsWith("/")).toBe(true);
    expect(new URL(location, `http://${MAIA}`).host).toBe(MAIA);
    expect(setCookies(res).filter((l) => l.startsWith(`${CONSENT_COOKIE}=`))).toHaveLength(1);
  });

  it.each(CRLF_PAYLOADS)("through lang (%j) on /cookies and on a proxied page", async (payload) => {
    const page = await call(`/cookies?lang=fr${payload.replace(/[\r\n]/g, "")}`, { headers: { accept: "text/html" } });
    expect(page.status).toBe(200);
    expectCleanHeaders(page);
    expect(["en", "fr"]).toContain(page.headers.get("content-language"));
    await page.arrayBuffer();
    const html = await call(`${respondPath({ headers: [["content-type", "text/html"]], body: "<html><body><p>x</p></body></html>" })}&lang=${payload.replace(/[\r\n]/g, "")}`);
    expect(html.status).toBe(200);
    expectCleanHeaders(html);
    expect(await html.text()).toContain("<p>x</p>");
  });

  it("through the return query of GET /cookies: escaped into the form, never raw markup", async () => {
    const res = await call(`/cookies?return=${encodeURIComponent('/x"><script>alert(1)</script>')}`, { headers: { accept: "text/html" } });
    expect(res.status).toBe(200);
    expectCleanHeaders(res);
    const body = await res.text();
    expect(body).not.toContain("<script");
    expect(body).toContain("/x%22%3E%3Cscript%3Ealert(1)%3C/script%3E");
  });

  it("through a proxied page's path and query: the banner's return path is escaped", async () => {
    const path = `${respondPath({ headers: [["content-type", "text/html"]], body: "<html><body><p>x</p></body></html>" })}&q="><script>alert(1)</script>'`;
    const res = await call(path);
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(body).toContain("consent-edge-banner");
    expect(body).not.toContain("<script>alert(1)");
    expect(body).not.toMatch(/value="[^"]*"><script/);
  });
});

describe("cross-site POST /cookies", () => {
  it.each<Record<string, string>>([
    { origin: "https://evil.example" },
    { origin: "null" },
    { origin: `http://${MAIA}.evil.example` },
    { origin: `https://${MAIA}` }, // other scheme: another origin
    { "sec-fetch-site": "cross-site" },
    { "sec-fetch-site": "same-site", origin: "http://other.opendatasoft.com" },
  ])("%j is refused with 403 and sets no cookie", async (headers) => {
    const res = await call("/cookies", {
      method: "POST",
      body: "action=accept&return=/",
      headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    });
    expect(res.status).toBe(403);
    expect(setCookies(res)).toEqual([]);
    expect(res.headers.get("location")).toBeNull();
  });

  it("the same origin is accepted (the control case)", async () => {
    const res = await form("action=refuse&return=/");
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/");
  });
});

describe("no open redirect", () => {
  it.each([
    "//evil.example",
    "//evil.example/x",
    "/\\evil.example",
    "\\\\evil.example",
    "https://evil.example/",
    "http:evil.example",
    "javascript:alert(1)",
    "/%2F%2Fevil.example",
    "/\t/evil.example",
    "/.//evil.example",
    "%2F%2Fevil.example",
    " //evil.example",
    "/x/../..//evil.example",
    "data:text/html,<script>alert(1)</script>",
  ])("return=%j stays on the visitor's host", async (ret) => {
    const res = await form(`action=accept&return=${encodeURIComponent(ret)}`);
    expect(res.status).toBe(303);
    const location = res.headers.get("location")!;
    expect(location).toMatch(/^\/(?![/\\])/);
    expect(new URL(location, `https://${MAIA}`).origin).toBe(`https://${MAIA}`);
  });
});

describe("policy text with markup is escaped", () => {
  const EVIL = '<script>alert("x")</script><img src=x onerror=alert(1)>';
  const policy = compilePolicy(
    tenantPolicy({
      title: { en: `Title ${EVIL}`, fr: `Titre ${EVIL}` },
      sections: [{ heading: `Heading ${EVIL}`, paragraphs: [`Paragraph ${EVIL} on {site}`] }],
      categories: [
        { id: "necessary", name: `Necessary ${EVIL}`, description: `Always ${EVIL}` },
        { id: "statistics", name: `Stats ${EVIL}`, description: `Audience ${EVIL}` },
      ],
      services: [
        {
          id: "opendatasoft",
          consentKey: "opendatasoft",
          category: "necessary",
          provider: `Opendatasoft ${EVIL}`,
          function: `Platform ${EVIL}`,
          purpose: `Session ${EVIL}`,
          cookies: [
            { name: "sessionid", duration: `2 weeks ${EVIL}`, httpOnly: true },
            { name: "cookies_preferences", duration: "6 months" },
          ],
        },
        {
          id: "ga",
          consentKey: "ga",
          category: "statistics",
          provider: `Google ${EVIL}`,
          function: "Audience",
          purpose: `Count ${EVIL}`,
          cookies: [{ name: "_ga", duration: "13 months", purpose: `Visitor ${EVIL}` }],
        },
      ],
      banner: { enabled: true, text: `Banner ${EVIL}` },
    }),
  );

  it.each(["en", "fr"])("the /cookies HTML page (%s) holds no live markup from the policy", async (lang) => {
    const res = await makeApp(policy).request(`https://maia.opendatasoft.com/cookies?lang=${lang}`, { headers: { accept: "text/html" } });
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(body).not.toContain("<script");
    expect(body).not.toContain("<img");
    expect(body).toContain("&lt;script&gt;");
    expect(body.split("&lt;script&gt;").length - 1).toBeGreaterThanOrEqual(8);
  });

  it("the JSON declaration is valid JSON holding the text as data", async () => {
    const res = await makeApp(policy).request("https://maia.opendatasoft.com/cookies", { headers: { accept: "application/json" } });
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    const text = await res.text();
    expect(() => JSON.parse(text)).not.toThrow();
    expect(text).toContain("alert");
  });

  it("the no-JS banner escapes the policy's banner text", () => {
    const html = renderBanner(policy, "en", "/");
    expect(html).not.toContain("<script");
    expect(html).not.toContain("<img");
    expect(html).toContain("<p>Banner &#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62;&#60;img src=x onerror=alert(1)&#62;</p>");
  });
});

describe("the consent cookie the worker writes", () => {
  for (const tenant of POLICIES.all) {
    const host = tenant.hosts[0];
    const keys = optionalConsentKeys(tenant);
    const choices: Array<[string, string[]]> = [
      ["action=accept", keys],
      ["action=refuse", []],
      [`action=save&${keys.map((k) => `${encodeURIComponent(k)}=on`).join("&")}`, keys],
      [`action=save&${keys.slice(0, 1).map((k) => `${encodeURIComponent(k)}=on`).join("&")}`, keys.slice(0, 1)],
      // Junk fields filling most of the 8 KB form limit: ignored, the cookie does not grow.
      [`action=save&${Array.from({ length: 300 }, (_, i) => `junk${i}=${"x".repeat(16)}`).join("&")}`, []],
    ];
    it.each(choices)(`${tenant.id}: %s -> capped and parses back`, async (body, granted) => {
      const res = await call("/cookies", {
        host,
        https: true,
        method: "POST",
        body,
        headers: { "content-type": "application/x-www-form-urlencoded", origin: `https://${host}` },
      });
      expect(res.status).toBe(303);
      const lines = setCookies(res).filter((l) => l.startsWith(`${CONSENT_COOKIE}=`));
      expect(lines).toHaveLength(1);
      expect(lines[0].length).toBeLessThanOrEqual(4096);
      expect(lines[0]).toMatch(/; Secure$/);
      const value = lines[0].slice(CONSENT_COOKIE.length + 1, lines[0].indexOf(";"));
      expect(value).toMatch(/^[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]+$/);
      expect(value.length).toBeLessThan(4096);
      const consent = parseConsent([value], tenant, { gpc: false });
      expect(consent.explicit).toBe(true);
      expect([...consent.granted].sort()).toEqual([...granted].sort());
    });
  }

  it("a form over the size limit is refused (413) without a cookie", async () => {
    const res = await form(`action=accept&pad=${"x".repeat(9000)}`);
    expect(res.status).toBe(413);
    expect(setCookies(res)).toEqual([]);
  });
});

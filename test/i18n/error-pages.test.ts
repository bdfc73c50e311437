// The worker's own error pages speak the visitor's language, chosen as for /cookies: an unknown
// host (no tenant: the built-in languages), the origin refused (502), the origin too slow (504,
// its duration through Intl), an encoding that cannot be checked (502); a form the worker refuses.
import { env } from "cloudflare:workers";
import { createExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import { BUILTIN_LANGS, BUILTIN_UI } from "../../src/i18n/strings";
import { errorPage } from "../../src/proxy/pages";
import { call, respondPath } from "../helpers";

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

describe("errorPage", () => {
  it.each([...BUILTIN_LANGS])("%s: title and message in the language, with lang and dir", (lang) => {
    const ui = BUILTIN_UI[lang];
    const page = errorPage(502, "errorEncoding", { lang, ui }, { encoding: "x<y" });
    expect(page.headers.get("content-language")).toBe(lang);
    return page.text().then((html) => {
      expect(html).toContain(`<html lang="${lang}" dir="${ui.dir}">`);
      expect(html).toContain(`<h1>502 ${escapeHtml(ui.errorTitle502)}</h1>`);
      expect(html).toContain(escapeHtml(ui.errorEncoding.replace("{encoding}", "x<y")));
    });
  });
  it("falls back to the generic title for a status without its own", async () => {
    expect(await errorPage(418, "errorInternal").text()).toContain("<h1>418 Error</h1>");
  });
});

describe("through the worker", () => {
  it("an unknown host answers 421 in the Accept-Language's language (no tenant: built-in languages)", async () => {
    const res = await call("/", { host: "unknown.example.org", headers: { "accept-language": "es-ES,es;q=0.9" } });
    expect(res.status).toBe(421);
    const html = await res.text();
    expect(html).toContain('<html lang="es" dir="ltr">');
    expect(html).toContain(escapeHtml(BUILTIN_UI.es.errorUnknownHost));
  });

  it("the origin refused: 502 in the django_language's language, Arabic right to left", async () => {
    const res = await worker.fetch(
      new Request("http://maia.opendatasoft.com/explore", { headers: { cookie: "django_language=ar", "accept-language": "de" } }),
      { ...env, ORIGIN: "http://127.0.0.1:1" },
      createExecutionContext(),
    );
    expect(res.status).toBe(502);
    expect(res.headers.get("content-language")).toBe("ar");
    const html = await res.text();
    expect(html).toContain('<html lang="ar" dir="rtl">');
    expect(html).toContain(BUILTIN_UI.ar.errorUnreachable);
  });

  it("the origin too slow: 504 in ?lang='s language, the bound written by Intl", async () => {
    const res = await call("/__fixture/hang-headers?lang=de");
    expect(res.status).toBe(504);
    const html = await res.text();
    expect(html).toContain('<html lang="de" dir="ltr">');
    // ORIGIN_TIMEOUT_MS is 1500 in the workers project: 2 s, rounded.
    expect(html).toContain("Das Portal hat nicht innerhalb von 2 Sekunden geantwortet.");
  });

  it("a page in an encoding that cannot be checked: 502 in the visitor's language", async () => {
    const spec = { headers: [["content-type", "text/html"], ["content-encoding", "x-unknown"]] as Array<[string, string]>, body: "<html></html>" };
    const res = await call(respondPath(spec), { headers: { "accept-language": "nl" } });
    expect(res.status).toBe(502);
    const html = await res.text();
    expect(html).toContain('<html lang="nl" dir="ltr">');
    expect(html).toContain(escapeHtml(BUILTIN_UI.nl.errorEncoding.replace("{encoding}", "x-unknown")));
  });

  it("a cross-site form post is refused in the visitor's language", async () => {
    const res = await call("/cookies", {
      method: "POST",
      headers: { origin: "https://evil.example", "content-type": "application/x-www-form-urlencoded", cookie: "django_language=sv" },
      body: "action=accept",
    });
    expect(res.status).toBe(403);
    expect(res.headers.get("content-language")).toBe("sv");
    expect(await res.text()).toBe(BUILTIN_UI.sv.errorCrossSite);
  });
});

describe("the middleware's unknown host", () => {
  it("answers 421 in the visitor's language", async () => {
    const { Hono } = await import("hono");
    const { consentEdge } = await import("../../src/middleware");
    const app = new Hono();
    app.use(consentEdge({ policy: () => undefined, log: () => {} }));
    app.get("/", (c) => c.text("never"));
    const res = await app.request("http://nobody.example/", { headers: { "accept-language": "ca" } });
    expect(res.status).toBe(421);
    expect(res.headers.get("content-language")).toBe("ca");
    expect(await res.text()).toBe(BUILTIN_UI.ca.errorUnknownHost);
  });
});

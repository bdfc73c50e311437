/**
 * The /cookies routes: GET/HEAD render the tenant's policy (HTML, JSON or Markdown by Accept),
 * POST saves the visitor's choice. Thin handlers over the pure modules of this folder; the
 * core middleware has already set c.var (policy, consent, cookies, secure, host).
 */
import type { Context, MiddlewareHandler } from "hono";
import { Hono } from "../hono";
import { bodyLimit } from "hono/body-limit";
import { csrf } from "hono/csrf";
import { HTTPException } from "hono/http-exception";
import type { AppEnv } from "../app-env";
import { consentKey, newConsentRecord, recordSetCookie, signConsentRecord } from "../consent/record";
import { CONSENT_COOKIE, consentSetCookie, serializeConsent } from "../consent/serialize";
import type { Consent } from "../consent/types";
import { cookieValues } from "../cookies/cookie-header";
import { filterRequestCookies } from "../cookies/decide";
import { expireHostAndParent, expiryLines } from "../cookies/expire";
import { buildDeclaration } from "./declaration";
import { DEFAULT_RETURN, parsePreferenceForm, safeReturnPath } from "./form";
import { chooseLang } from "./i18n";
import { renderPolicyMarkdown } from "./markdown";
import { chooseFormat } from "./negotiate";
import { renderPolicyPage } from "./policy-page";
import { recordChoice } from "./record-choice";
import { buildPolicyView } from "./view";

/** The form holds a few short fields; anything much larger is not our form. */
export const MAX_FORM_BYTES = 8 * 1024;

/** No script, no plugins, no framing, forms only to this origin; styles only with the nonce. */
function contentSecurityPolicy(nonce?: string): string {
  const style = nonce ? `; style-src 'nonce-${nonce}'` : "";
  return `default-src 'none'${style}; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`;
}

function setSecurityHeaders(c: Context<AppEnv>, nonce?: string): void {
  c.header("Content-Security-Policy", contentSecurityPolicy(nonce));
  c.header("X-Content-Type-Options", "nosniff");
  c.header("Referrer-Policy", "same-origin");
  c.header("X-Frame-Options", "DENY");
  // The page shows the visitor's own choices: never stored by a shared cache.
  c.header("Cache-Control", "private, no-store");
}

function plainError(c: Context<AppEnv>, message: string, status: 400 | 403 | 405 | 413 | 415 | 503): Response {
  setSecurityHeaders(c);
  return c.text(message, status);
}

/** The page language of this request among the tenant's languages (src/i18n/choose.ts). */
function requestLang(c: Context<AppEnv>): string {
  return chooseLang(c.var.policy, c.req.query("lang"), cookieValues(c.var.cookies, "django_language")[0], c.req.header("accept-language"));
}

/** A visitor-facing error, in the visitor's language (a browser can meet these: the form's own failures). */
function visitorError(c: Context<AppEnv>, key: "errorCrossSite" | "errorFormTooLarge" | "errorSaveUnavailable", status: 403 | 413 | 503): Response {
  const lang = requestLang(c);
  c.header("Content-Language", lang);
  return plainError(c, c.var.policy.uiStrings(lang)[key], status);
}

function newNonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes));
}

function showPolicy(c: Context<AppEnv>): Response {
  const lang = requestLang(c);
  const view = buildPolicyView(c.var.policy, c.var.consent, lang);
  const format = chooseFormat(c.req.header("accept"));
  c.header("Vary", "Accept, Accept-Language, Cookie");
  c.header("Content-Language", lang);
  if (format === "json") {
    setSecurityHeaders(c);
    return c.json(buildDeclaration(view));
  }
  if (format === "markdown") {
    setSecurityHeaders(c);
    return c.body(renderPolicyMarkdown(view), 200, { "Content-Type": "text/markdown; charset=utf-8" });
  }
  const nonce = newNonce();
  setSecurityHeaders(c, nonce);
  const from = safeReturnPath(c.req.query("return"));
  const returnTo = from ?? DEFAULT_RETURN;
  // The way back: where the visitor came from (the banner's link says); the home link is always there.
  const backTo = from && from !== "/cookies" && !from.startsWith("/cookies?") ? from : undefined;
  return c.html(renderPolicyPage(view, { nonce, returnTo, backTo }));
}

const sameOrigin = csrf();

/**
 * Refuses cross-site form posts (403) with hono's csrf check: `Sec-Fetch-Site: same-origin`
 * or an `Origin` equal to the request's own. Browsers send `Origin` on every POST (Fetch
 * standard, "append a request Origin header"), so a request with neither header is not a
 * browser form: it cannot ride the visitor's cookies, and is let through (curl, scripts).
 */
const refuseCrossSite: MiddlewareHandler<AppEnv> = async function refuseCrossSite(c, next) {
  if (c.req.header("origin") !== undefined || c.req.header("sec-fetch-site") !== undefined) {
    try {
      await sameOrigin(c, async () => {});
    } catch (err) {
      if (err instanceof HTTPException && err.status === 403) {
        return visitorError(c, "errorCrossSite", 403);
      }
      throw err;
    }
  }
  await next();
};

const limitFormSize = bodyLimit({
  maxSize: MAX_FORM_BYTES,
  onError: (c) => visitorError(c as Context<AppEnv>, "errorFormTooLarge", 413),
});

async function savePreferences(c: Context<AppEnv>): Promise<Response> {
  const type = c.req.header("content-type") ?? "";
  if (!/^application\/x-www-form-urlencoded\s*(?:;|$)/i.test(type)) {
    return plainError(c, "Expected an HTML form (application/x-www-form-urlencoded).", 415);
  }
  let body: string;
  try {
    // Bytes, then UTF-8 (the form's charset): workerd warns on .text() of a non-text type.
    body = new TextDecoder().decode(await c.req.arrayBuffer());
  } catch {
    return plainError(c, "Unreadable form body.", 400);
  }
  const { policy, secure, host } = c.var;
  const form = parsePreferenceForm(new URLSearchParams(body), policy);
  if (!form.ok) return plainError(c, form.error, 400);

  // Without the secret no record can be signed: the choice cannot be kept (fail closed; logged once).
  const key = consentKey(c.env?.CONSENT_SECRET);
  if (!key) return visitorError(c, "errorSaveUnavailable", 503);

  // The record of this decision: its id is the reference the visitor and the operator share.
  const record = newConsentRecord(form.granted, Date.now());
  const now = record.decidedAt;
  const consent: Consent = { explicit: true, source: "cookie", granted: record.granted, recordId: record.recordId, decidedAt: now };
  c.header("Set-Cookie", recordSetCookie(await signConsentRecord(record, policy, await key), { secure, now }), { append: true });
  // The portal's front-end still reads cookies_preferences (never trusted here). A copy a
  // sibling wrote on the parent domain goes first, so that the portal reads this choice.
  if (cookieValues(c.var.cookies, CONSENT_COOKIE).length > 0) {
    for (const line of expireHostAndParent(CONSENT_COOKIE, policy, { secure, host }, false)) c.header("Set-Cookie", line, { append: true });
  }
  c.header("Set-Cookie", consentSetCookie(serializeConsent(record.granted, policy, now), { secure, now }), {
    append: true,
  });
  // Cookies the request carries that the new choice no longer allows (HttpOnly ones too: the
  // browser sent them, so we know them) are deleted in this same response.
  const { refused } = filterRequestCookies(c.req.header("cookie"), policy, consent);
  for (const line of expiryLines(refused, policy, { secure, host })) {
    c.header("Set-Cookie", line, { append: true });
  }
  setSecurityHeaders(c);
  recordChoice(c, { id: record.recordId, now, action: form.action, granted: form.granted, place: form.place, lang: form.lang });
  return c.redirect(form.returnTo, 303);
}

function methodNotAllowed(c: Context<AppEnv>): Response {
  c.header("Allow", "GET, HEAD, POST");
  return plainError(c, "Method not allowed.", 405);
}

/**
 * `/cookies/` names the same page: a 308 to `/cookies` (query kept; 308 keeps a POST a POST),
 * so the one canonical URL is served here and the path never reaches the origin. Mount beside
 * the routes with `app.all("/cookies/", cookiesTrailingSlash)`: a sub-app mounted at
 * "/cookies" cannot register "/cookies/" itself (hono merges its "/" into "/cookies").
 */
export function cookiesTrailingSlash(c: Context<AppEnv>): Response {
  setSecurityHeaders(c);
  return c.redirect(`/cookies${new URL(c.req.url).search}`, 308);
}

/** Mount with `app.route("/cookies", cookiesRoutes)`. HEAD is answered by the GET route. */
export const cookiesRoutes = new Hono<AppEnv>()
  .get("/", showPolicy)
  .post("/", refuseCrossSite, limitFormSize, savePreferences)
  .all("/", methodNotAllowed);


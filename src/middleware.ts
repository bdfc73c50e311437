/**
 * consent-edge as a library for any Hono app that sets cookies itself or proxies elsewhere,
 * one call each:
 *
 *   app.use(consentEdge({ policy }))                    // enforce: cookies both ways, expiry
 *   app.use(consentBanner({ policy }))                  // the no-JavaScript banner on HTML pages
 *   app.route("/cookies", cookiesPage({ policy }))      // the policy page and preference form
 *
 * consentEdge cuts the request's Cookie header down to necessary and consented cookies before
 * the handlers run, filters their Set-Cookie lines after, expires the refused cookies the
 * request carried, and sets `c.var` (policy, consent, cookies, secure, host; `ConsentEdgeEnv`)
 * for the handlers, the banner and the pages. The types need no ambient `Env`.
 */
import { Hono, type Context, type MiddlewareHandler } from "hono";
import type { ConsentEdgeEnv, RequestState } from "./app-env";
import { cookieValues } from "./cookies/cookie-header";
import { cookiesRoutes } from "./pages/routes";
import { chooseLang } from "./pages/i18n";
import { requestUi } from "./i18n/request";
import { compilePolicy } from "./policy/compile";
import type { CompiledPolicy, Lang, TenantPolicy } from "./policy/types";
import { decideRequest, decideResponse, isReportOnly, stripLog, type StripLog } from "./proxy/enforce";
import { tallyStrip } from "./proxy/exchange-log";
import { responseHeaders } from "./proxy/headers";
import { stateFor } from "./request-state";
import { injectBanner } from "./rewrite";

export type { ConsentEdgeBindings, ConsentEdgeEnv, RequestState } from "./app-env";
export type { Consent } from "./consent/types";
export type { CompiledPolicy, Lang, PolicyMode, TenantPolicy } from "./policy/types";

/** One policy for every request, or a function choosing it per request (undefined → 421). */
export type PolicyOption = TenantPolicy | CompiledPolicy | ((request: Request) => CompiledPolicy | undefined);

export interface ConsentEdgeOptions {
  /** The policy to enforce. */
  policy: PolicyOption;
  /**
   * Receives the structured record of each response that stripped anything. Default: counted
   * per isolate and written as one JSON line a minute (`console.log`), as the worker does
   * (src/proxy/exchange-log.ts): one line per response costs ~5–30 µs.
   */
  log?: (record: object) => void;
}

export interface CookiesPageOptions {
  /** The policy shown; used when no consentEdge before it has set `c.var.policy`. */
  policy: PolicyOption;
}

export interface ConsentBannerOptions {
  /** The policy whose banner is shown; used when no consentEdge before it has set `c.var.policy`. */
  policy: PolicyOption;
  /** The banner's language; default: `?lang=`, the portal's `django_language` cookie, then Accept-Language. */
  lang?: Lang | ((c: Context) => Lang);
  /** Where the banner's own links point: the pages mounted with `cookiesPage` (default "/cookies"). Paths under it get no banner. */
  cookiesPath?: string;
}

/** Turns the `policy` option into one function, once, when the factory runs (bad options throw there). */
function policyChooser(name: string, policy: PolicyOption | undefined): (request: Request) => CompiledPolicy | undefined {
  if (!policy) throw new TypeError(`${name}: options.policy is required`);
  if (typeof policy === "function") return policy;
  const compiled = "classify" in policy && typeof policy.classify === "function" ? policy : compilePolicy(policy);
  return () => compiled;
}

/**
 * The request's state: the one a consentEdge before has set, else worked out here. The consent
 * record's key is the `CONSENT_SECRET` binding (`c.env`); without it no consent is trusted.
 */
async function stateOf(c: Context<ConsentEdgeEnv>, choose: (request: Request) => CompiledPolicy | undefined): Promise<RequestState | undefined> {
  if (c.var.policy) return { policy: c.var.policy, consent: c.var.consent, cookies: c.var.cookies, secure: c.var.secure, host: c.var.host };
  const policy = choose(c.req.raw);
  if (!policy) return undefined;
  const state = await stateFor(c.req.raw, policy, new URL(c.req.url).hostname, c.env?.CONSENT_SECRET);
  setState(c, state);
  return state;
}

function setState(c: Context<ConsentEdgeEnv>, state: RequestState): void {
  c.set("policy", state.policy);
  c.set("consent", state.consent);
  c.set("cookies", state.cookies);
  c.set("secure", state.secure);
  c.set("host", state.host);
}

export function consentEdge(options: ConsentEdgeOptions): MiddlewareHandler<ConsentEdgeEnv> {
  const choose = policyChooser("consentEdge", options?.policy);
  const log: (record: StripLog) => void = options.log ?? tallyStrip;

  return async function consentEdge(c, next) {
    const policy = choose(c.req.raw);
    if (!policy) return unknownHost(c);
    const url = new URL(c.req.url);
    const state = await stateFor(c.req.raw, policy, url.hostname, c.env?.CONSENT_SECRET);
    setState(c, state);
    const ctx = { policy, consent: state.consent, secure: state.secure, host: state.host };
    const request = decideRequest(c.req.header("cookie") ?? null, ctx);
    // Report-only: the same decision, logged, and nothing changed.
    const reportOnly = isReportOnly(policy);

    // Handlers downstream see only the cookies the visitor consented to.
    if (!reportOnly) {
      const headers = new Headers(c.req.raw.headers);
      if (request.cookie) headers.set("cookie", request.cookie);
      else headers.delete("cookie");
      c.req.raw = new Request(c.req.raw, { headers });
    }

    await next();

    const res = c.res;
    // The handlers are the app's own code (its /cookies page writes the consent cookies), not a proxied origin.
    const response = decideResponse(res.headers.getSetCookie(), request, ctx, { ownConsentCookies: true });
    const record = stripLog(ctx, request, response, { method: c.req.method, path: url.pathname, status: res.status });
    if (!record) return;
    log(record);
    if (reportOnly) return;
    // Hono's `c.res` setter copies the previous response's Set-Cookie lines onto the new one,
    // which would put the stripped cookies back: clear it first.
    const filtered = new Response(res.body, { status: res.status, statusText: res.statusText, headers: responseHeaders(res.headers, response.setCookies) });
    c.res = undefined;
    c.res = filtered;
  };
}

/**
 * The /cookies policy page (HTML, JSON, Markdown) and preference form, as a sub-app:
 * `app.route("/cookies", cookiesPage({ policy }))`. Its form posts to /cookies, so mount it there.
 */
export function cookiesPage(options: CookiesPageOptions): Hono<ConsentEdgeEnv> {
  const choose = policyChooser("cookiesPage", options?.policy);
  const page = new Hono<ConsentEdgeEnv>();
  page.use(async function cookiesPageState(c, next) {
    if (!(await stateOf(c, choose))) return unknownHost(c);
    await next();
  });
  page.route("/", cookiesRoutes);
  return page;
}

/** 421 for a host no policy serves, in the visitor's language (the built-in ones: no tenant is known). */
function unknownHost(c: Context): Response {
  const { lang, ui } = requestUi(c.req.raw);
  c.header("Content-Language", lang);
  return c.text(ui.errorUnknownHost, 421);
}

/**
 * Shows the consent banner on HTML responses while the visitor has made no choice (and sends
 * no Global Privacy Control signal), except under the cookies pages: `app.use(consentBanner({ policy }))`.
 */
export function consentBanner(options: ConsentBannerOptions): MiddlewareHandler<ConsentEdgeEnv> {
  const choose = policyChooser("consentBanner", options?.policy);
  const cookiesPath = options.cookiesPath ?? "/cookies";
  const langOf: (c: Context, policy: CompiledPolicy) => Lang =
    typeof options.lang === "function"
      ? options.lang
      : options.lang !== undefined
        ? ((lang: Lang) => () => lang)(options.lang)
        : (c, policy) => chooseLang(policy, c.req.query("lang"), cookieValues(c.var.cookies ?? [], "django_language")[0], c.req.header("accept-language"));

  return async function consentBanner(c, next) {
    await next();
    const state = await stateOf(c, choose);
    if (!state) return;
    const url = new URL(c.req.url);
    const due = !state.consent.explicit && state.consent.source !== "gpc" && state.policy.banner?.enabled !== false && !isReportOnly(state.policy);
    if (!due || url.pathname === cookiesPath || url.pathname.startsWith(`${cookiesPath}/`)) return;
    const res = c.res;
    const out = injectBanner(res, { policy: state.policy, lang: langOf(c, state.policy), returnPath: url.pathname + url.search });
    if (out === res) return;
    // As in consentEdge: clear first, or Hono copies the old Set-Cookie lines onto the new response.
    c.res = undefined;
    c.res = out;
  };
}

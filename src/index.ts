/**
 * consent-edge: wiring only. Finds the tenant by Host, reads the visitor's consent, serves
 * /cookies, and proxies everything else to the tenant's origin through the consent decision
 * and, for HTML, the script blocking and the banner. The cron trigger runs the retention job.
 */
import { Hono } from "./hono";
import type { WorkerEnv } from "./worker-env";
import { cookieValues } from "./cookies/cookie-header";
import { CSP_REPORT_PATH, handleCspReport, reportSample, sampleReport } from "./csp";
import { cookieInventory, seeBlockedHost, seeOriginSetCookies } from "./inventory";
import { cookiesRoutes, cookiesTrailingSlash } from "./pages";
import { chooseLang } from "./pages/i18n";
import { POLICIES } from "./policy";
import { policySourceOf, tenantOf, type PolicySource } from "./policy-source";
import { proxyConfig } from "./proxy/config";
import { tallyStrip } from "./proxy/exchange-log";
import { forwardToOrigin } from "./proxy/forward";
import { errorPage } from "./proxy/pages";
import { requestUi } from "./i18n/request";
import { stateFor } from "./request-state";
import { isConsentDependentDocument, withoutReuse } from "./proxy/cache";
import { leavesAlone, rewriteHtml, rewriteOther } from "./rewrite";
import { BANNER_CSS_PATH, bannerStylesheet } from "./rewrite/banner";
import { classifyContentType } from "./rewrite/document";
import { scheduled } from "./scheduled";
import { consumeRecords } from "./store/queue";

// Nothing here walks the tenants: a policy whose consent cannot be written fails the build
// (scripts/policies.mjs) and the push; the bundled ones are compiled on first use (policy/shipped.ts).

// The worker's own env: every var of wrangler.toml (the shared routes need only ConsentEdgeEnv).
const app = new Hono<WorkerEnv>();

// The isolate's policy source (src/policy-source/): the bundle, and KV when POLICY_KV is bound.
let source: PolicySource | undefined;

app.use(async function tenant(c, next) {
  source = policySourceOf(c.env, POLICIES);
  const found = await tenantOf(c.req.raw, source, c.env.DEV_TENANT, Date.now());
  if ("status" in found) return errorPage(found.status, found.status === 400 ? "errorNoHost" : "errorUnknownHost", requestUi(c.req.raw));
  const state = await stateFor(c.req.raw, found.policy, found.host, c.env.CONSENT_SECRET);
  c.set("policy", state.policy);
  c.set("consent", state.consent);
  c.set("cookies", state.cookies);
  c.set("secure", state.secure);
  c.set("host", state.host);
  await next();
});

// The inventory classifies each tenant's names under the policy this isolate serves it.
app.use(cookieInventory((id) => (source ? source.known(id) : POLICIES.byId(id))));

// Never proxied: the origin never sees the reports, and a report cannot reach it.
// Each blocked host joins the cookie inventory (source "csp").
app.all(CSP_REPORT_PATH, (c) =>
  handleCspReport(c.req.raw, {
    tenant: c.var.policy.id,
    log: (v) => {
      logRecord(v);
      seeBlockedHost(v.tenant, v.blockedHost);
    },
  }),
);
// The banner's stylesheet, for pages that pass unparsed (rewrite/banner.ts): never proxied.
app.all(BANNER_CSS_PATH, (c) => bannerStylesheet(c.req.method, c.var.policy));
app.route("/cookies", cookiesRoutes);
app.all("/cookies/", cookiesTrailingSlash);

app.all("*", async function proxy(c) {
  const policy = c.get("policy");
  const consent = c.get("consent");
  const secure = c.get("secure");
  const host = c.get("host");
  const config = proxyConfig(c.env);
  const banner = !consent.explicit && consent.source !== "gpc" && policy.banner?.enabled !== false;
  const res = await forwardToOrigin(c.req.raw, { policy, consent, secure, host }, {
    origin: config.originFor(policy),
    timeoutMs: config.timeoutMs,
    bodyIdleTimeoutMs: config.bodyIdleTimeoutMs,
    log: logRecord,
    onOriginSetCookies: seeOriginSetCookies,
    onStrip: tallyStrip,
    // Full consent: rewriteHtml gives every page back as it came.
    documentsAsTheyCome: leavesAlone(policy, consent, banner),
  });
  const type = classifyContentType(res.headers.get("content-type"));
  const secFetchDest = c.req.header("sec-fetch-dest") ?? null;
  // Not a document (JSON, images, scripts…): as it came unless it may run as a worker or names reporting endpoints.
  if (type.kind === "other" && !type.normalised) {
    return rewriteOther(res, { policy, consent, banner: false, lang: "en", returnPath: "/", secure, pageUrl: c.req.url, cspMode: config.cspMode, secFetchDest });
  }
  // The return path only matters to the banner; the language to it and the rare error page,
  // so it is worked out when first read.
  const url = banner ? new URL(c.req.url) : undefined;
  let lang: string | undefined;
  const out = await rewriteHtml(res, {
    policy,
    consent,
    banner,
    get lang() {
      return (lang ??= chooseLang(policy, c.req.query("lang"), cookieValues(c.get("cookies"), "django_language")[0], c.req.header("accept-language")));
    },
    returnPath: url ? url.pathname + url.search : "/",
    report: sampleReport(reportSample(policy, c.env.CSP_REPORT_SAMPLE)),
    secure,
    pageUrl: c.req.url,
    cspMode: config.cspMode,
    markupMode: config.markupMode,
    secFetchDest,
  });
  // A document is treated according to the consent (scripts blocked or live, banner, CSP), even
  // when this visitor's state left it as it came: never reused for another state (proxy/cache.ts).
  if (policy.mode !== "report-only" && isConsentDependentDocument(out.status, out.headers.get("content-type"), out.body !== null, c.req.method)) return withoutReuse(out);
  return out;
});

app.onError((err, c) => {
  console.error(JSON.stringify({ msg: "consent-edge: internal error", error: String(err) }));
  let inLang;
  try {
    inLang = requestUi(c.req.raw, c.var.policy);
  } catch {
    /* English, then */
  }
  return errorPage(500, "errorInternal", inLang);
});

function logRecord(record: object): void {
  console.log(JSON.stringify(record));
}

// fetch: the Hono app; scheduled: the retention cron job; queue: consent records into D1.
export default {
  fetch: app.fetch,
  scheduled,
  queue: (batch: MessageBatch<unknown>, env: Env) => consumeRecords(batch, env),
} satisfies ExportedHandler<Env>;

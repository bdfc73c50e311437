/** A small tenant policy for the /cookies tests, and a test app that sets c.var as the core middleware does. */
import { Hono } from "hono";
import type { AppEnv } from "../../src/app-env";
import { cookiesRoutes, cookiesTrailingSlash } from "../../src/pages";
import { compilePolicy } from "../../src/policy/compile";
import type { CompiledPolicy, TenantPolicy } from "../../src/policy/types";
import { stateFor } from "../../src/request-state";
import { TEST_CONSENT_SECRET } from "../secret";

export const SITE = "https://maia.opendatasoft.com";

export function tenantPolicy(overrides: Partial<TenantPolicy> = {}): TenantPolicy {
  return {
    id: "maia",
    hosts: ["maia.opendatasoft.com"],
    siteUrl: SITE,
    revision: "2026-11",
    title: { en: "Cookie policy", fr: "Politique de cookies" },
    sections: [
      { heading: { en: "Cookie notice", fr: "Avis sur les cookies" }, paragraphs: [{ en: "We use cookies on {site}.", fr: "Nous utilisons des cookies sur {site}." }] },
      { heading: { en: "What is a cookie?", fr: "Qu'est-ce qu'un cookie ?" }, paragraphs: ["A small text file."] },
      { heading: "Strictly necessary cookies", level: 3, paragraphs: ["Needed for the site to work."] },
      { heading: "What cookies are used on the {site} platform", paragraphs: ["See <script>alert(1)</script> the tables | below."] },
    ],
    categories: [
      { id: "necessary", name: { en: "Strictly necessary", fr: "Strictement nécessaires" }, description: "Always on." },
      { id: "functional", name: "Functional", description: "Preferences." },
      { id: "statistics", name: { en: "Statistics", fr: "Statistiques" }, description: "Audience measurement." },
      { id: "marketing", name: "Marketing", description: "None here." },
    ],
    services: [
      {
        id: "opendatasoft",
        consentKey: "opendatasoft",
        category: "necessary",
        provider: "Opendatasoft",
        function: { en: "Platform, {site}", fr: "Plateforme, {site}" },
        purpose: "Session and security",
        cookies: [
          { name: "sessionid", duration: "2 weeks", httpOnly: true },
          { name: "csrftoken", duration: "1 year" },
          { name: "django_language", duration: "session" },
          { name: "cookies_preferences", duration: "6 months" },
        ],
      },
      {
        id: "ga",
        consentKey: "ga",
        category: "statistics",
        provider: "Google Analytics",
        function: "Audience, Google servers",
        purpose: { en: "Count visits", fr: "Compter les visites" },
        cookies: [
          { name: "_ga", duration: { en: "13 months", fr: "13 mois" } },
          { name: "_ga_", prefix: true, duration: { en: "13 months", fr: "13 mois" } },
        ],
      },
      {
        id: "matomo",
        consentKey: "matomo",
        category: "statistics",
        provider: "Matomo <b>&</b> | co",
        function: "Audience",
        purpose: "Count visits",
        cookies: [
          { name: "_pk_id.", prefix: true, duration: "13 months" },
          { name: "_pk_ses.", prefix: true, duration: "30 minutes", purpose: "Session of a visit" },
        ],
      },
      {
        id: "at",
        consentKey: "at",
        category: "functional",
        provider: "AT Internet",
        function: "Audience",
        purpose: "Visitor id",
        cookies: [{ name: "atuserid", duration: "13 months", httpOnly: true }],
      },
    ],
    ...overrides,
  };
}

export const POLICY: CompiledPolicy = compilePolicy(tenantPolicy());

/** A Hono<AppEnv> that sets c.var as the core middleware does and mounts cookiesRoutes. */
export function makeApp(policy: CompiledPolicy = POLICY) {
  const app = new Hono<AppEnv>();
  app.use(async (c, next) => {
    c.env = { ...c.env, CONSENT_SECRET: TEST_CONSENT_SECRET };
    const state = await stateFor(c.req.raw, policy, new URL(c.req.url).hostname, TEST_CONSENT_SECRET);
    c.set("policy", state.policy);
    c.set("cookies", state.cookies);
    c.set("consent", state.consent);
    c.set("secure", state.secure);
    c.set("host", state.host);
    await next();
  });
  app.route("/cookies", cookiesRoutes);
  app.all("/cookies/", cookiesTrailingSlash);
  return app;
}

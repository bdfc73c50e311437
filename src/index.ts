/**
 * consent-edge: wiring only. Finds the tenant by Host, reads the visitor's consent, serves
 * /cookies, and proxies everything else to the tenant's origin through the consent decision.
 */
import { Hono } from "hono";
import type { AppEnv } from "./app-env";
import { POLICIES } from "./policy";
import { DEFAULT_ORIGIN_TIMEOUT_MS, forwardToOrigin } from "./proxy/forward";
import { errorPage } from "./proxy/pages";
import { resolveTenant, stateFor } from "./request-state";

const app = new Hono<AppEnv>();

app.use(async function tenant(c, next) {
  const found = resolveTenant(c.req.raw, { registry: POLICIES, devTenant: c.env.DEV_TENANT });
  if ("status" in found) return errorPage(found.status, found.message);
  const state = stateFor(c.req.raw, found.policy, found.host);
  c.set("policy", state.policy);
  c.set("consent", state.consent);
  c.set("cookies", state.cookies);
  c.set("secure", state.secure);
  c.set("host", state.host);
  await next();
});

app.all("*", function proxy(c) {
  const { policy, consent, secure, host } = c.var;
  const origin = new URL(c.env.ORIGIN || policy.origin || `https://${policy.hosts[0]}`).origin;
  const timeoutMs = Number(c.env.ORIGIN_TIMEOUT_MS) || DEFAULT_ORIGIN_TIMEOUT_MS;
  return forwardToOrigin(c.req.raw, { policy, consent, secure, host }, { origin, timeoutMs, log: logRecord });
});

app.onError((err) => {
  console.error(JSON.stringify({ msg: "consent-edge: internal error", error: String(err) }));
  return errorPage(500, "Something went wrong on our side.");
});

function logRecord(record: object): void {
  console.log(JSON.stringify(record));
}

export default app;

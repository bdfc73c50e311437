/**
 * The consent enforcer as a Hono middleware factory, for any Hono app that sets cookies
 * itself or proxies elsewhere:
 *
 *   app.use(consentEdge({ policy: POLICIES.byId("maia")! }))
 *
 * Before the handlers run, the request's Cookie header is cut down to necessary and
 * consented cookies; after them, the response's Set-Cookie lines are filtered the same
 * way and the refused cookies the request carried are expired.
 */
import type { MiddlewareHandler } from "hono";
import { decideRequest, decideResponse, isReportOnly, stripLog } from "./proxy/enforce";
import { responseHeaders } from "./proxy/headers";
import { compilePolicy } from "./policy/compile";
import type { CompiledPolicy, TenantPolicy } from "./policy/types";
import { stateFor } from "./request-state";

export interface ConsentEdgeOptions {
  /** The policy to enforce: one policy, or a function choosing it per request (undefined → 421). */
  policy: TenantPolicy | ((request: Request) => CompiledPolicy | undefined);
  /** Receives the structured record of each response that stripped anything. Default: console.log as JSON. */
  log?: (record: object) => void;
}

const DEFAULT_LOG = (record: object) => console.log(JSON.stringify(record));

export function consentEdge(options: ConsentEdgeOptions): MiddlewareHandler {
  if (!options || !options.policy) throw new TypeError("consentEdge: options.policy is required");
  const choose: (request: Request) => CompiledPolicy | undefined =
    typeof options.policy === "function"
      ? options.policy
      : (() => {
          const compiled = "classify" in options.policy ? (options.policy as CompiledPolicy) : compilePolicy(options.policy);
          return () => compiled;
        })();
  const log = options.log ?? DEFAULT_LOG;

  return async function consentEdge(c, next) {
    const policy = choose(c.req.raw);
    if (!policy) return c.text("This host is not served here.", 421);
    const url = new URL(c.req.url);
    const state = stateFor(c.req.raw, policy, url.hostname);
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
    const response = decideResponse(res.headers.getSetCookie(), request, ctx);
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

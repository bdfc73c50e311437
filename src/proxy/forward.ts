/**
 * The only place that talks to the origin: forwards the visitor's request with the filtered
 * Cookie header, streams both bodies, and returns the origin's response with its Set-Cookie
 * lines decided by the tenant policy. Failures of the world become 502/504 pages.
 */
import { dropConditionals, forbidReuse, isConsentDependentDocument, isDocumentRequest, isNoStore } from "./cache";
import { formatDuration } from "../i18n/localize";
import { requestUi } from "../i18n/request";
import { errorPage } from "./pages";
import { decideRequest, decideResponse, isReportOnly, stripLog, type ExchangeContext, type StripLog } from "./enforce";
import { editResponseHeaders, forwardRequestHeaders, needsHopByHopEdit, rewriteLocation } from "./headers";
import { withIdleTimeout } from "./idle-timeout";

/** Statuses whose responses never carry a body (RFC 9110). */
const NULL_BODY = new Set([101, 204, 205, 304]);

const TIMED_OUT = Symbol("timed out");

export interface ForwardOptions {
  /** The origin, `scheme://host[:port]`. */
  origin: string;
  /** How long to wait for the response headers (then 504), and for each read of the body once they came. */
  timeoutMs: number;
  /**
   * How long a read of the origin's body may wait for a byte before the visitor's stream
   * errors. Unset (the default) streams the body natively: bounding it means pumping every
   * chunk through JavaScript, which cost two thirds of the throughput of large bodies here.
   */
  bodyIdleTimeoutMs?: number;
  /** Called with structured records of failures of the world (the worker logs them). */
  log?: (record: object) => void;
  /** Called with the origin's Set-Cookie lines, when there are any, before the decision (the cookie inventory). */
  onOriginSetCookies?: (tenant: string, lines: readonly string[]) => void;
  /** Called with the record of each exchange that stripped or expired a cookie; default `log`. */
  onStrip?: (record: StripLog) => void;
  /**
   * The caller hands a document on as it comes from here (the visitor's consent leaves the page
   * alone): a consent-dependent document (proxy/cache.ts) is then returned `private, no-store`
   * already, in the one copy of the origin's response made here, and the caller's `withoutReuse`
   * finds nothing left to do. Without it (or when the caller rewrites the page after all) the
   * caller's `withoutReuse` makes the copy; either way the response is not reusable.
   */
  documentsAsTheyCome?: boolean;
}

/**
 * The path and query of a request URL as the runtime serialised it (`scheme://authority/...`; a
 * request URL has no fragment), without parsing it again; the scheme and authority as well.
 */
export function splitRequestUrl(url: string): { base: string; pathAndQuery: string; path: string } {
  const at = url.indexOf("/", url.indexOf("//") + 2);
  const base = at === -1 ? url : url.slice(0, at);
  const pathAndQuery = at === -1 ? "/" : url.slice(at);
  const q = pathAndQuery.indexOf("?");
  return { base, pathAndQuery, path: q === -1 ? pathAndQuery : pathAndQuery.slice(0, q) };
}

export async function forwardToOrigin(request: Request, ctx: ExchangeContext, options: ForwardOptions): Promise<Response> {
  const url = splitRequestUrl(request.url);
  // Path and query only: the target host is the tenant's origin, never anything the visitor wrote.
  const target = options.origin + url.pathAndQuery;
  const cookieHeader = request.headers.get("cookie");
  const decision = decideRequest(cookieHeader, ctx);
  // Report-only: decided and logged, not applied; the origin gets the Cookie header as sent.
  const reportOnly = isReportOnly(ctx.policy);
  const headers = forwardRequestHeaders(request.headers, { cookie: reportOnly ? cookieHeader : decision.cookie, host: ctx.host, secure: ctx.secure });
  const hasBody = request.method !== "GET" && request.method !== "HEAD" && request.body !== null;
  // A document's answer depends on the consent: never revived by a 304 for a copy cached before (proxy/cache.ts).
  if (!reportOnly && isDocumentRequest(request.headers)) dropConditionals(headers);

  // Raced against the fetch, never given to it: a signal on the fetch would also cut a body read
  // by JavaScript (the rewriter's) once the bound passed, however well it streams. The bound is
  // one native timer, cleared as soon as the headers came: wrangler.toml's `no_nodejs_global_timers`
  // keeps the global setTimeout the runtime's own (a number, no JavaScript Timeout object as under
  // plain nodejs_compat). Measured in the bench: a few µs, where `AbortSignal.timeout` cost 12-16 µs
  // and held its timer for the whole bound. On timeout the fetch is left to the runtime, which
  // cancels it with the request.
  let timer: ReturnType<typeof setTimeout> | null = null;
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), options.timeoutMs);
  });
  let upstream: Response | typeof TIMED_OUT;
  try {
    upstream = await Promise.race([
      fetch(target, { method: request.method, headers, body: hasBody ? request.body : null, redirect: "manual" }),
      timeout,
    ]);
  } catch (err) {
    // For the operator: the visitor's page names no cause.
    options.log?.({ msg: "consent-edge: origin failed", tenant: ctx.policy.id, path: url.path, timedOut: false, error: String(err) });
    return errorPage(502, "errorUnreachable", requestUi(request, ctx.policy));
  } finally {
    clearTimeout(timer);
  }
  if (upstream === TIMED_OUT) {
    options.log?.({ msg: "consent-edge: origin failed", tenant: ctx.policy.id, path: url.path, timedOut: true });
    const inLang = requestUi(request, ctx.policy);
    return errorPage(504, "errorTimeout", inLang, { duration: formatDuration({ seconds: Math.round(options.timeoutMs / 1000) }, inLang.ui) });
  }

  const originSetCookies = upstream.headers.getSetCookie();
  if (originSetCookies.length > 0) options.onOriginSetCookies?.(ctx.policy.id, originSetCookies);
  const response = decideResponse(originSetCookies, decision, ctx);
  // Report-only: the origin's Set-Cookie lines stay as they are (the decision is only logged).
  const unchanged = response.unchanged || reportOnly;
  const record = stripLog(ctx, decision, response, { method: request.method, path: url.path, status: upstream.status });
  if (record) (options.onStrip ?? options.log)?.(record);

  const location = upstream.headers.get("location");
  const visitorLocation = location ? rewriteLocation(location, options.origin, url.base) : null;
  let body = request.method === "HEAD" || NULL_BODY.has(upstream.status) ? null : upstream.body;
  const idleMs = options.bodyIdleTimeoutMs;
  const edit = !unchanged || visitorLocation !== location || body !== upstream.body || !!idleMs || needsHopByHopEdit(upstream.headers);
  // A document passed on as it came must still not be reused; its headers are the origin's otherwise.
  const noReuse =
    !edit &&
    options.documentsAsTheyCome === true &&
    !reportOnly &&
    isConsentDependentDocument(upstream.status, upstream.headers.get("content-type"), body !== null, request.method) &&
    !isNoStore(upstream.headers);
  // Nothing to change: the origin's response is the visitor's, as it came (no copy of headers or body).
  if (!edit && !noReuse) return upstream;
  if (body && idleMs) {
    // The status is on its way: a stalled body can only end the visitor's stream with an error.
    body = withIdleTimeout(body, idleMs, () =>
      options.log?.({ msg: "consent-edge: origin body stalled", tenant: ctx.policy.id, path: url.path, idleMs }),
    );
  }
  // Headers of a fetched Response are immutable; one native copy into a Response we own, edited in
  // place. The origin's Response as the init: its status, status text and headers are copied
  // natively, without reading an init object's fields from JavaScript.
  const out = new Response(body, upstream);
  if (edit) editResponseHeaders(out.headers, unchanged ? "unchanged" : response.setCookies);
  // Its Set-Cookie lines were decided by this consent, or it is a document: not to be reused for another.
  if (!unchanged || noReuse) forbidReuse(out.headers);
  if (visitorLocation !== location && visitorLocation !== null) out.headers.set("location", visitorLocation);
  return out;
}

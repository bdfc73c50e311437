/**
 * Header hygiene for the proxy: which request headers reach the origin and which response
 * headers reach the visitor. Pure; no I/O.
 */

/** Hop-by-hop headers (RFC 9110 section 7.6.1) never cross the proxy. */
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

/** Request headers the visitor controls that would let them speak for the proxy: dropped, then set by us. */
const SPOOFABLE = new Set(["host", "cookie", "forwarded", "x-forwarded-host", "x-forwarded-proto", "x-forwarded-for"]);

/**
 * Dropped from a copy of the visitor's headers, one native call each: copying the Headers in the
 * runtime and deleting a dozen names costs about a third of iterating them in JavaScript.
 * `cookie`, `x-forwarded-host` and `x-forwarded-proto` are not listed: they are always set (or the cookie deleted).
 */
const DROPPED_REQUEST = [...HOP_BY_HOP, ...[...SPOOFABLE].filter((n) => n !== "cookie" && n !== "x-forwarded-host" && n !== "x-forwarded-proto")];
const DROPPED_REQUEST_SET = new Set(DROPPED_REQUEST);

/** The names a Connection header lists (RFC 9110 § 7.6.1): hop-by-hop for this exchange too. */
function connectionTokens(value: string | null): string[] {
  if (!value) return [];
  const tokens: string[] = [];
  for (const t of value.split(",")) {
    const name = t.trim().toLowerCase();
    if (name) tokens.push(name);
  }
  return tokens;
}

export interface ForwardContext {
  /** The Cookie header to send, already filtered; null sends none. */
  cookie: string | null;
  /** The hostname the visitor asked for. */
  host: string;
  secure: boolean;
}

/** The headers sent to the origin: the visitor's, minus hop-by-hop and spoofable ones, plus the filtered Cookie. */
export function forwardRequestHeaders(incoming: Headers, ctx: ForwardContext): Headers {
  const out = new Headers(incoming);
  // Listed names first: a Connection header may name a header we set below, which then stays set.
  // A listed name that is dropped anyway (`keep-alive`, nearly always) is deleted once, below.
  for (const name of connectionTokens(incoming.get("connection"))) if (!DROPPED_REQUEST_SET.has(name)) out.delete(name);
  for (const name of DROPPED_REQUEST) out.delete(name);
  if (ctx.cookie) out.set("cookie", ctx.cookie);
  else out.delete("cookie");
  out.set("x-forwarded-host", ctx.host);
  out.set("x-forwarded-proto", ctx.secure ? "https" : "http");
  return out;
}

/**
 * The headers returned to the visitor: the origin's, minus hop-by-hop headers and every
 * Set-Cookie, then the given Set-Cookie lines appended in order (`Headers.get("set-cookie")`
 * would join them with commas and break `Expires`; each line is appended separately).
 * `"unchanged"` keeps the origin's Set-Cookie lines where they are (nothing was stripped or added).
 */
export function responseHeaders(origin: Headers, setCookies: readonly string[] | "unchanged"): Headers {
  const out = new Headers(origin);
  editResponseHeaders(out, setCookies);
  return out;
}

/** `responseHeaders`, in place on headers the caller owns (a Response it built). */
export function editResponseHeaders(out: Headers, setCookies: readonly string[] | "unchanged"): void {
  for (const name of connectionTokens(out.get("connection"))) if (!HOP_BY_HOP.has(name)) out.delete(name);
  for (const name of HOP_BY_HOP) out.delete(name);
  if (setCookies === "unchanged") return;
  out.delete("set-cookie");
  for (const line of setCookies) out.append("set-cookie", line);
}

/**
 * Hop-by-hop headers the runtime's HTTP server never writes from a worker's response: it frames
 * the connection itself (measured in workerd 1.20261023: a fetched response returned as it is
 * reaches the client without them; HTTP/2 and HTTP/3 cannot carry them at all).
 */
const FRAMED_BY_RUNTIME = new Set(["connection", "keep-alive", "te", "trailer", "transfer-encoding", "upgrade", "close"]);

/**
 * True when the origin's headers hold a hop-by-hop header that would reach the visitor unless
 * removed: one the runtime does not drop itself, or one the Connection header lists. Origins
 * send `Connection: keep-alive` on nearly every response; that alone needs no edit.
 */
export function needsHopByHopEdit(headers: Headers): boolean {
  const connection = headers.get("connection");
  // The values origins send on nearly every response, without splitting them.
  if (connection !== null && connection !== "keep-alive" && connection !== "close") {
    for (const name of connectionTokens(connection)) if (!FRAMED_BY_RUNTIME.has(name)) return true;
  }
  return headers.has("proxy-authenticate") || headers.has("proxy-authorization") || headers.has("proxy-connection");
}

/**
 * With a development ORIGIN, the origin's redirects point at itself: map them back onto the
 * host the visitor used, so a login redirect does not leave the proxy. Other Locations pass as they are.
 */
export function rewriteLocation(location: string, originBase: string, visitorBase: string): string {
  if (!location.startsWith(originBase)) return location;
  const rest = location.slice(originBase.length);
  if (rest !== "" && !rest.startsWith("/") && !rest.startsWith("?") && !rest.startsWith("#")) return location;
  return visitorBase + rest;
}

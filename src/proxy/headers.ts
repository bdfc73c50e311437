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

function connectionTokens(headers: Headers): Set<string> {
  const value = headers.get("connection");
  const tokens = new Set<string>();
  if (value) for (const t of value.split(",")) tokens.add(t.trim().toLowerCase());
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
  const listed = connectionTokens(incoming);
  const out = new Headers();
  for (const [name, value] of incoming) {
    if (HOP_BY_HOP.has(name) || SPOOFABLE.has(name) || listed.has(name)) continue;
    out.append(name, value);
  }
  if (ctx.cookie) out.set("cookie", ctx.cookie);
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
  for (const name of connectionTokens(origin)) out.delete(name);
  for (const name of HOP_BY_HOP) out.delete(name);
  if (setCookies === "unchanged") return out;
  out.delete("set-cookie");
  for (const line of setCookies) out.append("set-cookie", line);
  return out;
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

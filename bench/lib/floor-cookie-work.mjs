// What the floors do to cookies on the wire, shared: the Cookie header for the origin cut to some
// names (floor-cookies, floor-append: the necessary ones; floor-hono: all but the consent record),
// and the origin's necessary Set-Cookie lines re-appended to a response the worker owns; and the
// fixed tail (floor-append) and CSP (floor-csp) some floors add. Bundled into each floor by the bench.
const KEEP = new Set(["sessionid", "csrftoken", "django_language", "cookies_preferences"]);

/** About the size of the worker's banner (markup, inline form, stylesheet link): floor-append's tail. */
export const FLOOR_TAIL = new TextEncoder().encode(`<div id="floor-tail">${"<p>banner-sized tail</p>".repeat(100)}</div>`);

// floor-csp's header: the shape and length (758 characters) of the Content-Security-Policy
// consent-edge enforces for a refused visitor of the bench's tenant (the base policy's named sources,
// per directive), written out here once (the bench checks in each run that consent-edge's is as long,
// bench/run.mjs).
export const FLOOR_CSP = [
  "default-src 'self' static.opendatasoft.com",
  "script-src 'self' 'unsafe-inline' 'unsafe-eval' static.opendatasoft.com",
  "style-src 'self' 'unsafe-inline' static.opendatasoft.com fonts.googleapis.com api.mapbox.com",
  "img-src 'self' data: blob: static.opendatasoft.com *.tile.openstreetmap.org api.mapbox.com *.tiles.mapbox.com",
  "font-src 'self' data: static.opendatasoft.com fonts.gstatic.com",
  "connect-src 'self' static.opendatasoft.com *.tile.openstreetmap.org api.mapbox.com *.tiles.mapbox.com",
  "media-src 'self' data: blob: static.opendatasoft.com",
  "frame-src 'self' static.opendatasoft.com",
  "worker-src 'self' blob: static.opendatasoft.com",
  "manifest-src 'self' static.opendatasoft.com",
  "form-action 'self' static.opendatasoft.com",
  "object-src 'none'",
  "base-uri 'self'",
].join("; ");

const nameOf = (pair) => {
  const eq = pair.indexOf("=");
  return (eq === -1 ? "" : pair.slice(0, eq)).trim();
};

const necessary = (name) => KEEP.has(name);

/** A copy of the visitor's headers whose Cookie header holds only the names `keep` accepts (by default the necessary ones). */
export function originRequestHeaders(request, keep = necessary) {
  const headers = new Headers(request.headers);
  const cookie = headers.get("cookie");
  if (cookie !== null) {
    const kept = cookie
      .split(";")
      .filter((pair) => keep(nameOf(pair)))
      .map((pair) => pair.trim())
      .join("; ");
    if (kept) headers.set("cookie", kept);
    else headers.delete("cookie");
  }
  return headers;
}

/** Replaces the Set-Cookie lines of `response` (headers it owns) by the origin's necessary ones. */
export function keepNecessarySetCookies(response, upstream) {
  response.headers.delete("set-cookie");
  for (const line of upstream.headers.getSetCookie()) if (KEEP.has(nameOf(line))) response.headers.append("set-cookie", line);
}

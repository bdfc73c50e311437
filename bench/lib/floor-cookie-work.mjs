// What the floors do to cookies on the wire, shared: the Cookie header for the origin cut to some
// names (floor-cookies, floor-append: the necessary ones; floor-hono: all but the consent record),
// and the origin's necessary Set-Cookie lines re-appended to a response the worker owns. Bundled
// into each floor by the bench.
const KEEP = new Set(["sessionid", "csrftoken", "django_language", "cookies_preferences"]);

/** About the size of the worker's banner (markup, inline form, stylesheet link): floor-append's tail. */
export const FLOOR_TAIL = new TextEncoder().encode(`<div id="floor-tail">${"<p>banner-sized tail</p>".repeat(100)}</div>`);

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

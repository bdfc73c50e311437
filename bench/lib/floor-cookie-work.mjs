// What the cookie floors (bench/floor-cookies.mjs, bench/floor-append.mjs) do on the wire, shared:
// the Cookie header for the origin cut to the necessary names, and the origin's Set-Cookie lines of
// those names re-appended to a response the worker owns. Bundled into each floor by the bench.
const KEEP = new Set(["sessionid", "csrftoken", "django_language", "cookies_preferences"]);

/** About the size of the worker's banner (markup, inline form, stylesheet link): floor-append's tail. */
export const FLOOR_TAIL = new TextEncoder().encode(`<div id="floor-tail">${"<p>banner-sized tail</p>".repeat(100)}</div>`);

const nameOf = (pair) => {
  const eq = pair.indexOf("=");
  return (eq === -1 ? "" : pair.slice(0, eq)).trim();
};

/** A copy of the visitor's headers whose Cookie header holds only the necessary names. */
export function originRequestHeaders(request) {
  const headers = new Headers(request.headers);
  const cookie = headers.get("cookie");
  if (cookie !== null) {
    const kept = cookie
      .split(";")
      .filter((pair) => KEEP.has(nameOf(pair)))
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

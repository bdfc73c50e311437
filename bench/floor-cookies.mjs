// Floor (F) for case (f): the least any worker must do to enforce cookies on the wire in workerd,
// with no consent logic: the Cookie header for the origin cut to the necessary names, the origin's
// response copied once into one the worker owns, every Set-Cookie line dropped and those of the
// same names appended again. No decision, no policy, no logging: what is left is the runtime's
// plumbing (a copied request Headers, the Response copy, the header edits), which consent-edge
// cannot avoid either. The origin URL is built as the pass-through builds it, so that the
// difference from it is the cookie work alone. Timed against the pass-through (b″) like (f).
const KEEP = new Set(["sessionid", "csrftoken", "django_language", "cookies_preferences"]);

const nameOf = (pair) => {
  const eq = pair.indexOf("=");
  return (eq === -1 ? "" : pair.slice(0, eq)).trim();
};

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
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
    const hasBody = request.method !== "GET" && request.method !== "HEAD";
    const upstream = await fetch(env.ORIGIN + url.pathname + url.search, {
      method: request.method,
      headers,
      body: hasBody ? request.body : null,
      redirect: "manual",
    });
    const response = new Response(upstream.body, upstream);
    response.headers.delete("set-cookie");
    for (const line of upstream.headers.getSetCookie()) if (KEEP.has(nameOf(line))) response.headers.append("set-cookie", line);
    return response;
  },
};

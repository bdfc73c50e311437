// Floor (F) for case (f): the least any worker must do to enforce cookies on the wire in workerd,
// with no consent logic: the Cookie header for the origin cut to the necessary names, the origin's
// response copied once into one the worker owns, every Set-Cookie line dropped and those of the
// same names appended again (bench/lib/floor-cookie-work.mjs). No decision, no policy, no logging:
// what is left is the runtime's plumbing (a copied request Headers, the Response copy, the header
// edits), which consent-edge cannot avoid either. The origin URL is built as the pass-through
// builds it, so that the difference from it is the cookie work alone. Timed against the
// pass-through (b″) like (f). Bundled by the bench (bundleFloors in bench/run.mjs).
import { keepNecessarySetCookies, originRequestHeaders } from "./lib/floor-cookie-work.mjs";

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const hasBody = request.method !== "GET" && request.method !== "HEAD";
    const upstream = await fetch(env.ORIGIN + url.pathname + url.search, {
      method: request.method,
      headers: originRequestHeaders(request),
      body: hasBody ? request.body : null,
      redirect: "manual",
    });
    const response = new Response(upstream.body, upstream);
    keepNecessarySetCookies(response, upstream);
    return response;
  },
};

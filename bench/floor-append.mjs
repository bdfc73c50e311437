// Floor (G, J) for the unparsed pages that need the banner (c*, e*: markup csp-only, no choice
// yet): floor-cookies' work on the wire, plus a tail of banner size written after the origin's
// body, the body piped natively into an IdentityTransformStream (the cheapest way found to append
// to a stream in workerd: a JavaScript pull stream and a TransformStream cost more per chunk).
// No CSP, no consent logic, no banner rendering. Timed against the pass-through of the same page.
// Bundled by the bench (bundleFloors in bench/run.mjs).
import { FLOOR_TAIL, keepNecessarySetCookies, originRequestHeaders } from "./lib/floor-cookie-work.mjs";

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const upstream = await fetch(env.ORIGIN + url.pathname + url.search, { method: request.method, headers: originRequestHeaders(request), redirect: "manual" });
    const { readable, writable } = new IdentityTransformStream();
    upstream.body
      .pipeTo(writable, { preventClose: true })
      .then(async () => {
        const writer = writable.getWriter();
        await writer.write(FLOOR_TAIL);
        await writer.close();
      })
      .catch(() => {});
    const response = new Response(readable, upstream);
    response.headers.delete("content-length");
    keepNecessarySetCookies(response, upstream);
    return response;
  },
};

// Floor (H) for case (D), full consent on a cacheable page: the bare pass-through plus the one
// copy of the origin's response that a consent-dependent document needs to leave `private,
// no-store` (its headers are immutable as fetched): the least any worker pays to keep a page made
// for one consent state out of every cache. No cookie work, no consent logic. Timed against the
// pass-through of the same cacheable page, like (D).
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const upstream = await fetch(new Request(env.ORIGIN + url.pathname + url.search, request));
    const response = new Response(upstream.body, upstream);
    response.headers.set("cache-control", "private, no-store");
    response.headers.delete("etag");
    return response;
  },
};

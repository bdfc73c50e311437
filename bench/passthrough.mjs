// Case (b): a bare pass-through worker with no consent logic — the baseline consent-edge is compared to.
// It fetches the same path and query on env.ORIGIN and returns the origin's response untouched.
export default {
  fetch(request, env) {
    const url = new URL(request.url);
    return fetch(new Request(env.ORIGIN + url.pathname + url.search, request));
  },
};

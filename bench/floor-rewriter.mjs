// Floor (P, Q) for the parsed pages (c, r; e): the bare pass-through with the origin's body run
// through an HTMLRewriter that matches scripts and does nothing with them. No blocking, no banner,
// no CSP, no consent logic: what any worker that parses HTML in workerd pays at the least. A
// no-op handler changes no byte (the bench checks that). Timed against the pass-through of the
// same page (b, b′) like the cases it is the floor of.
const SCRIPT = { element() {} };

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const response = await fetch(new Request(env.ORIGIN + url.pathname + url.search, request));
    return new HTMLRewriter().on("script", SCRIPT).transform(response);
  },
};

// Floor (V, X; Y, Z) of scan mode's whole job on a parsed page (r, m: a visitor who refused; c, e:
// no choice yet), for the parsed cases' notes: what any worker doing that job must do on this
// runtime, hand-written, with no consent-edge code. The Cookie header cut and the necessary
// Set-Cookie lines kept (floor-cookies), the page's first bytes looked at before it is parsed (a
// byte order mark or a `<meta charset>` decides how a browser reads it: a tee, the probe's branch
// cancelled after its first read), an HTMLRewriter whose script handler is called for each script
// and each piece of its text (inline code must be read to be judged) and does nothing, one fixed
// Content-Security-Policy (floor-csp's), and with no consent record in the request the banner-sized
// tail at the document's end. No consent logic, no CSP building, no banner rendering, no check of
// what the handlers see. Timed against the pass-through of the same page. Bundled by the bench
// (bundleFloors in bench/run.mjs).
import { FLOOR_CSP, FLOOR_TAIL, keepNecessarySetCookies, originRequestHeaders } from "./lib/floor-cookie-work.mjs";

const SCRIPT = { element() {}, text() {} };
const TAIL = new TextDecoder().decode(FLOOR_TAIL);
const DOCUMENT_END = {
  end(end) {
    end.append(TAIL, { html: true });
  },
};

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const upstream = await fetch(env.ORIGIN + url.pathname + url.search, { method: request.method, headers: originRequestHeaders(request), redirect: "manual" });
    const [body, probe] = upstream.body.tee();
    const reader = probe.getReader();
    await reader.read();
    reader.cancel().catch(() => {});
    const response = new Response(body, upstream);
    response.headers.delete("content-length");
    keepNecessarySetCookies(response, upstream);
    response.headers.set("content-security-policy", FLOOR_CSP);
    const rewriter = new HTMLRewriter().on("script", SCRIPT);
    // The consent record's cookie (consent-edge's names hold "consent-edge"): none means the banner is due.
    if (!(request.headers.get("cookie") ?? "").includes("consent-edge")) rewriter.onDocument(DOCUMENT_END);
    return rewriter.transform(response);
  },
};

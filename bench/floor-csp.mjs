// Floor (S, T) for the unparsed pages of a visitor who refused (r*, m*: markup csp-only): the
// cookie work of floor-cookies (F) on the page, plus one fixed Content-Security-Policy of the
// length consent-edge sends there (bench/lib/floor-cookie-work.mjs). That is all those cases must
// change: the page passes byte for byte with its Content-Length, and the origin already sends it
// `private, no-store`. No consent logic, no CSP building. Timed against the pass-through of the
// same page (b, b‴). Bundled by the bench (bundleFloors in bench/run.mjs).
import floorCookies from "./floor-cookies.mjs";
import { FLOOR_CSP } from "./lib/floor-cookie-work.mjs";

export default {
  async fetch(request, env) {
    const response = await floorCookies.fetch(request, env);
    response.headers.set("content-security-policy", FLOOR_CSP);
    return response;
  },
};

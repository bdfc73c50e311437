// Floor (W) for case (d), full consent on a page sent no-store: the worker's own Hono (src/hono.ts,
// its RegExpRouter) with one route, a copy of the visitor's headers whose Cookie header no longer
// holds the consent record (the record never reaches the origin), and the origin's response as it
// came. No consent reading, no cookie decision, no logging. Bundled by the bench (bundleFloors);
// timed against the pass-through (b) like (d).
import { Hono } from "../src/hono";

const RECORD_NAMES = new Set(["__Host-consent-edge", "consent-edge-http"]);

const app = new Hono<{ Bindings: { ORIGIN: string } }>();
app.all("*", (c) => {
  const request = c.req.raw;
  const url = request.url;
  const at = url.indexOf("/", url.indexOf("//") + 2);
  const headers = new Headers(request.headers);
  const cookie = headers.get("cookie");
  if (cookie !== null) {
    const kept = cookie
      .split(";")
      .filter((pair) => !RECORD_NAMES.has(pair.slice(0, pair.indexOf("=")).trim()))
      .map((pair) => pair.trim())
      .join("; ");
    if (kept) headers.set("cookie", kept);
    else headers.delete("cookie");
  }
  return fetch(c.env.ORIGIN + (at === -1 ? "/" : url.slice(at)), { method: request.method, headers, redirect: "manual" });
});

export default app;

/**
 * A stand-in Opendatasoft portal for `npm start`, the integration tests and the browser tests:
 * a plain node:http server (no dependencies; Node 20 and 24) that sets the cookies a real portal
 * sets, so the worker in front of it has something to strip. Not a model of the real portal's code.
 *
 *   import { startOrigin } from "./demo/origin.mjs";
 *   const origin = await startOrigin({ port: 0, fixtures: true });  // -> { port, url, close() }
 *   node demo/origin.mjs --port 9000 [--host 127.0.0.1] [--fixtures] [--tenant maia]
 *
 * Portal routes (always on). Pages name the tenant after X-Forwarded-Host (else Host): "maia.opendatasoft.com"
 * -> "Maia — open data portal (demo)"; for localhost and IP hosts, after the `tenant` option (default "demo").
 *   GET  /                  home page. Sets each of csrftoken, django_language=en, _ga, _ga_DEMO123, _gid
 *                           (Path=/, future Expires and Max-Age) that the request's Cookie lacks. Contains an
 *                           inline Matomo snippet (`var _paq = window._paq = ...`, loads /analytics/matomo.js) and
 *                           an inline gtag snippet (`gtag('config', 'G-DEMO123')`, loads /analytics/gtag.js?id=G-DEMO123).
 *                           Both loaders are inserted by the inline snippets: served from the portal's own origin, a
 *                           `<script src>` would carry none of the hosts or markers a policy knows gtag by.
 *   GET  /login             login form.   POST /login (urlencoded, anything accepted) -> 302 to / setting
 *                           sessionid (HttpOnly; Path=/; SameSite=Lax), csrftoken, django_language, _ga,
 *                           _ga_DEMO123, _gid, _pk_id.1.a1b2, _pk_ses.1.a1b2, atuserid, demo_tracker_uid.
 *   GET  /logout            302 to /, expires sessionid (Max-Age=0 and a past Expires).
 *   GET  /explore           dataset list; GET /explore/dataset/<id>/ one dataset.
 *   GET  /api/records       JSON, with Set-Cookie _gid.
 *   GET  /analytics/matomo.js, /analytics/gtag.js
 *                           small scripts that, when they run, write _pk_id.1.a1b2 + _pk_ses.1.a1b2 (Matomo) or
 *                           _ga + _ga_DEMO123 (gtag) via document.cookie, set window.__demoAnalytics.<name> = true
 *                           and request a beacon (/analytics/matomo.php, /analytics/collect; 1x1 GIF).
 *   GET  /__stats           JSON hit counts: { "matomo.js", "gtag.js", "matomo.php", "collect", "pages" }.
 *                           "*.js" count script downloads, "matomo.php"/"collect" count scripts that ran,
 *                           "pages" counts HTML portal pages served.   POST /__stats/reset -> zeroes them (204).
 *   Every portal response has Content-Type, Cache-Control and Connection: keep-alive (unless the client
 *   asked to close).
 *
 * Fixture routes, only with `fixtures: true`:
 *   ANY  /__fixture/respond?spec=<base64url(JSON)>   answers exactly the spec:
 *          { status?: number = 200,
 *            headers?: [name, value][],      // in order, each its own line, duplicates kept
 *            setCookies?: string[],          // each its own `Set-Cookie:` line, after `headers`, bytes unaltered
 *            body?: string,                  // UTF-8; or
 *            bodyBase64?: string,            // raw body bytes (e.g. a gzip body with Content-Encoding)
 *            conditional?: boolean }         // a matching If-None-Match / If-Modified-Since gets a 304
 *          `&pad=N` (optional): each "__PAD__" in the body becomes N "x" (max 1 MiB), for large pages.
 *          Header values are written as their UTF-8 bytes. Content-Length is added when `headers` has neither
 *          Content-Length nor Transfer-Encoding (and the status may carry a body). Node adds Date and Connection.
 *          A spec that is not valid base64url JSON of this shape -> 400; a header Node refuses to write
 *          (CR, LF, NUL or other control characters; a bad name) -> 500 `fixture error: ...`.
 *   ANY  /__fixture/echo     200 JSON { method, url, headers: [name, value][] (req.rawHeaders, as received),
 *                            bodyLength } after reading the whole body.
 *   GET  /__fixture/redirect?to=/x&spec=<base64url(JSON)>   302 Location: <to> (default "/"), plus the spec's
 *                            `headers` and `setCookies` (spec optional; status and body ignored).
 *   GET  /__fixture/stream?bytes=N&chunk=65536[&type=text/plain]   200, N bytes of "a" written in chunks of
 *                            `chunk` with backpressure (never held in memory), chunked (no Content-Length).
 *                            Default type application/octet-stream.
 *   POST|PUT /__fixture/upload   counts the request body bytes as they stream by; 200 JSON { bytes }.
 *   GET  /__fixture/hang-headers  never answers; the socket stays open until close().
 *   GET  /__fixture/reset-mid-body[?type=T]  200 with Content-Length: 1000000 (Content-Type T, default
 *                            application/octet-stream), sends 1000 bytes, then destroys the socket.
 *   GET  /__fixture/stall-body   200 chunked text/plain, sends "first chunk\n", then nothing until close().
 *   GET  /__fixture/many-cookies?n=10000   n Set-Cookie lines (max 100000): line 0 is
 *                            `sessionid=s3ss10n; HttpOnly; Path=/; SameSite=Lax`, then alternately
 *                            `_ga_<i>=GA1.1.<i>; Path=/; Max-Age=63072000` (odd i) and `unknown_<i>=v<i>; Path=/` (even i).
 *   GET  /__fixture/big-header?bytes=65536   one `X-Big:` header of that many "x" (max 8 MiB), text body "ok".
 *   GET  /__fixture/toss?value=<v>[&domain=opendatasoft.com][&flood=N][&secure=1][&round=R]   a sibling's page: Set-Cookie
 *                            `cookies_preferences=<v>; Domain=<domain>` and an inline script that writes N parent-domain
 *                            cookies `flood_<i>` (Secure with secure=1) and the same grant by document.cookie.
 *
 * Inbound request headers up to 1 MiB are accepted (server maxHeaderSize). close() destroys every open socket.
 */
import http from "node:http";
import { randomBytes } from "node:crypto";
import { pathToFileURL } from "node:url";

const YEAR_S = 365 * 24 * 60 * 60;
const MAX_HEADER_SIZE = 1024 * 1024;
const GIF_1X1 = Buffer.from("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7", "base64");

const DATASETS = [
  { id: "population-communale", title: "Population by municipality", records: 34965, theme: "Population" },
  { id: "qualite-de-l-air", title: "Air quality measurements", records: 128400, theme: "Environment" },
  { id: "horaires-bibliotheques", title: "Library opening hours", records: 212, theme: "Culture" },
  { id: "velos-en-libre-service", title: "Bike-sharing stations, real time", records: 1430, theme: "Transport" },
];

/** Starts the demo portal; resolves once it listens. */
export async function startOrigin({ port = 0, host = "127.0.0.1", fixtures = false, tenant = "demo" } = {}) {
  const stats = newStats();
  const sessions = new Map();
  const sockets = new Set();

  const server = http.createServer({ maxHeaderSize: MAX_HEADER_SIZE, requestTimeout: 0 }, (req, res) => {
    const url = new URL(req.url ?? "/", "http://origin.invalid");
    try {
      route(req, res, url, { stats, sessions, fixtures, tenant });
    } catch (err) {
      failResponse(res, err);
    }
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });

  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const actualPort = server.address().port;
  const urlHost = host.includes(":") ? `[${host}]` : host;

  let closing;
  function close() {
    closing ??= new Promise((resolve) => {
      server.close(() => resolve());
      for (const socket of sockets) socket.destroy();
    });
    return closing;
  }
  return { port: actualPort, url: `http://${urlHost}:${actualPort}`, close };
}

function newStats() {
  return { "matomo.js": 0, "gtag.js": 0, "matomo.php": 0, collect: 0, pages: 0 };
}

function route(req, res, url, ctx) {
  const { pathname } = url;
  const method = req.method === "HEAD" ? "GET" : req.method;
  if (pathname.startsWith("/__fixture/")) {
    if (!ctx.fixtures) return notFound(req, res);
    return routeFixture(req, res, url);
  }
  switch (`${method} ${pathname}`) {
    case "GET /":
      return homePage(req, res, ctx);
    case "GET /login":
      return loginPage(req, res, ctx);
    case "POST /login":
      return login(req, res, ctx);
    case "GET /logout":
      return logout(req, res, ctx);
    case "GET /explore":
      return explorePage(req, res, ctx);
    case "GET /api/records":
      return records(req, res, url);
    case "GET /analytics/matomo.js":
      ctx.stats["matomo.js"]++;
      return sendScript(req, res, MATOMO_JS);
    case "GET /analytics/gtag.js":
      ctx.stats["gtag.js"]++;
      return sendScript(req, res, GTAG_JS);
    case "GET /analytics/matomo.php":
      ctx.stats["matomo.php"]++;
      return sendBeacon(req, res);
    case "GET /analytics/collect":
    case "POST /analytics/collect":
      ctx.stats.collect++;
      return sendBeacon(req, res);
    case "GET /__stats":
      return send(req, res, 200, { "Content-Type": "application/json", "Cache-Control": "no-store" }, JSON.stringify(ctx.stats));
    case "POST /__stats/reset":
      Object.assign(ctx.stats, newStats());
      return send(req, res, 204, { "Cache-Control": "no-store" });
    default: {
      const dataset = method === "GET" && /^\/explore\/dataset\/([\w-]+)\/?$/.exec(pathname);
      return dataset ? datasetPage(req, res, ctx, dataset[1]) : notFound(req, res);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Portal pages

/** The request's cookies as a Map (first occurrence wins, as Django reads them). */
function readCookies(req) {
  const jar = new Map();
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    if (name && !jar.has(name)) jar.set(name, part.slice(eq + 1).trim());
  }
  return jar;
}

/** A Set-Cookie line with a future Expires and Max-Age (browsers drop cookies set with past dates). */
function persistentCookie(name, value, maxAgeSeconds, extra = "") {
  const expires = new Date(Date.now() + maxAgeSeconds * 1000).toUTCString();
  return `${name}=${value}; expires=${expires}; Max-Age=${maxAgeSeconds}; Path=/${extra}`;
}

function randomToken(bytes) {
  return randomBytes(bytes).toString("hex");
}

function gaValue() {
  return `GA1.1.${randomBytes(4).readUInt32BE()}.${Math.floor(Date.now() / 1000)}`;
}

const STATISTICS_COOKIES = {
  _ga: () => persistentCookie("_ga", gaValue(), 2 * YEAR_S),
  _ga_DEMO123: () => persistentCookie("_ga_DEMO123", `GS1.1.${Math.floor(Date.now() / 1000)}.1.0.0.0.0.0`, 2 * YEAR_S),
  _gid: () => persistentCookie("_gid", gaValue(), 24 * 60 * 60),
};

function csrfCookie() {
  return persistentCookie("csrftoken", randomToken(16), YEAR_S, "; SameSite=Lax");
}

function languageCookie() {
  return persistentCookie("django_language", "en", YEAR_S, "; SameSite=Lax");
}

/**
 * The tenant's display name from X-Forwarded-Host (else Host): its first label ("maia.opendatasoft.com" ->
 * "Maia"). Loopback and IP hosts (the worker's DEV_TENANT mode) show the `tenant` option instead.
 */
function tenantOf(req, fallback) {
  const raw = String(req.headers["x-forwarded-host"] ?? req.headers.host ?? "").split(",")[0].trim();
  const hostname = raw.replace(/:\d+$/, "");
  const isLocal = hostname === "" || hostname === "localhost" || hostname.startsWith("[") || /^[\d.]+$/.test(hostname);
  const label = isLocal ? fallback : hostname.split(".")[0];
  return { hostname: hostname || "localhost", name: label.charAt(0).toUpperCase() + label.slice(1) };
}

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function sendPage(req, res, ctx, { title, body, head = "", setCookies = [] }) {
  ctx.stats.pages++;
  const tenant = tenantOf(req, ctx.tenant);
  const user = ctx.sessions.get(readCookies(req).get("sessionid"));
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(`${tenant.name} — ${title}`)}</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; margin: 0; color: #222; }
  header, main, footer { padding: 0 2rem; max-width: 60rem; margin: auto; }
  header { display: flex; gap: 1.5rem; align-items: baseline; border-bottom: 1px solid #ddd; }
  header h1 { font-size: 1.3rem; margin-right: auto; }
  a { color: #14538c; }
  table { border-collapse: collapse; } td, th { padding: .3rem .8rem; border-bottom: 1px solid #eee; text-align: left; }
  footer { color: #666; font-size: .85rem; border-top: 1px solid #ddd; margin-top: 2rem; }
</style>
${head}</head>
<body>
<header>
  <h1><a href="/">${escapeHtml(tenant.name)} — open data portal (demo)</a></h1>
  <a href="/explore">Explore</a>
  ${user ? `<span>Signed in as ${escapeHtml(user)}</span> <a href="/logout">Sign out</a>` : `<a href="/login">Sign in</a>`}
  <a href="/cookies">Cookies</a>
</header>
<main>
${body}
</main>
<footer><p>${escapeHtml(tenant.hostname)} · A demo portal bundled with consent-edge; not an Opendatasoft service.
  <a href="/cookies">Cookie policy and preferences</a></p></footer>
</body>
</html>
`;
  send(req, res, 200, {
    "Content-Type": "text/html; charset=utf-8",
    "Cache-Control": "no-cache, private",
    Vary: "Cookie, Accept-Language",
    "Content-Language": "en",
    "X-Content-Type-Options": "nosniff",
    "Set-Cookie": setCookies,
  }, html);
}

const ANALYTICS_SNIPPETS = `<script>
  var _paq = window._paq = window._paq || [];
  _paq.push(['trackPageView']);
  _paq.push(['enableLinkTracking']);
  (function() {
    var u = "/analytics/";
    _paq.push(['setTrackerUrl', u + 'matomo.php']);
    _paq.push(['setSiteId', '1']);
    var d = document, g = d.createElement('script'), s = d.getElementsByTagName('script')[0];
    g.async = true; g.src = u + 'matomo.js'; s.parentNode.insertBefore(g, s);
  })();
</script>
<script>
  window.dataLayer = window.dataLayer || [];
  function gtag(){ dataLayer.push(arguments); }
  gtag('js', new Date());
  gtag('config', 'G-DEMO123');
  (function() {
    var g = document.createElement('script');
    g.async = true; g.src = '/analytics/gtag.js?id=G-DEMO123'; document.head.appendChild(g);
  })();
</script>
`;

function datasetList() {
  const rows = DATASETS.map(
    (d) => `<tr><td><a href="/explore/dataset/${d.id}/">${escapeHtml(d.title)}</a></td><td>${d.theme}</td><td>${d.records.toLocaleString("en")}</td></tr>`,
  ).join("\n");
  return `<table><thead><tr><th>Dataset</th><th>Theme</th><th>Records</th></tr></thead><tbody>\n${rows}\n</tbody></table>`;
}

function homePage(req, res, ctx) {
  const jar = readCookies(req);
  const setCookies = [];
  if (!jar.has("csrftoken")) setCookies.push(csrfCookie());
  if (!jar.has("django_language")) setCookies.push(languageCookie());
  for (const [name, make] of Object.entries(STATISTICS_COOKIES)) if (!jar.has(name)) setCookies.push(make());
  const tenant = tenantOf(req, ctx.tenant);
  sendPage(req, res, ctx, {
    title: "open data portal (demo)",
    head: ANALYTICS_SNIPPETS,
    setCookies,
    body: `<h2>Welcome to ${escapeHtml(tenant.name)}'s open data</h2>
<p>This portal publishes the public data of ${escapeHtml(tenant.name)} under an open licence: browse the catalogue,
explore records in tables, maps and charts, and use them through the API.</p>
<p>This page tries to set statistics cookies (<code>_ga</code>, <code>_ga_DEMO123</code>, <code>_gid</code>) from the
server and loads Matomo and Google Analytics scripts that set more from the browser. In front of it, consent-edge
lets through only the strictly necessary ones until you consent on the <a href="/cookies">cookie page</a>.</p>
<h3>Popular datasets</h3>
${datasetList()}
<p><a href="/explore">Explore all datasets</a> · <a href="/login">Sign in</a> · <a href="/cookies">Manage cookies</a></p>`,
  });
}

function explorePage(req, res, ctx) {
  sendPage(req, res, ctx, {
    title: "Explore datasets",
    body: `<h2>Explore datasets</h2>
<p>${DATASETS.length} datasets. Records are served by <a href="/api/records">/api/records</a>.</p>
${datasetList()}`,
  });
}

function datasetPage(req, res, ctx, id) {
  const dataset = DATASETS.find((d) => d.id === id);
  if (!dataset) return notFound(req, res);
  sendPage(req, res, ctx, {
    title: dataset.title,
    body: `<h2>${escapeHtml(dataset.title)}</h2>
<p>Theme: ${dataset.theme}. ${dataset.records.toLocaleString("en")} records, published under the Open Licence 2.0.</p>
<p><a href="/api/records">API</a> · <a href="/explore">Back to the catalogue</a></p>`,
  });
}

function loginPage(req, res, ctx) {
  const jar = readCookies(req);
  const csrf = jar.get("csrftoken");
  sendPage(req, res, ctx, {
    title: "Sign in",
    setCookies: csrf ? [] : [csrfCookie()],
    body: `<h2>Sign in</h2>
<form method="post" action="/login">
  <input type="hidden" name="csrfmiddlewaretoken" value="${escapeHtml(csrf ?? randomToken(16))}">
  <p><label>Username <input name="username" autocomplete="username" required></label></p>
  <p><label>Password <input name="password" type="password" autocomplete="current-password" required></label></p>
  <p><button type="submit">Sign in</button></p>
</form>
<p>Any username and password are accepted: this is a demo.</p>`,
  });
}

function login(req, res, ctx) {
  readBody(req, (body) => {
    const form = new URLSearchParams(body.toString("utf8"));
    const sessionId = randomToken(16);
    if (ctx.sessions.size >= 10_000) ctx.sessions.clear();
    ctx.sessions.set(sessionId, form.get("username") || "anonymous");
    const visitor = randomToken(8);
    const now = Math.floor(Date.now() / 1000);
    send(req, res, 302, {
      Location: "/",
      "Content-Type": "text/html; charset=utf-8",
      "Cache-Control": "no-cache, private",
      "Set-Cookie": [
        `sessionid=${sessionId}; HttpOnly; Path=/; SameSite=Lax`,
        csrfCookie(),
        languageCookie(),
        STATISTICS_COOKIES._ga(),
        STATISTICS_COOKIES._ga_DEMO123(),
        STATISTICS_COOKIES._gid(),
        persistentCookie("_pk_id.1.a1b2", `${visitor}.${now}`, 393 * 24 * 60 * 60, "; SameSite=Lax"),
        persistentCookie("_pk_ses.1.a1b2", "1", 30 * 60, "; SameSite=Lax"),
        persistentCookie("atuserid", encodeURIComponent(JSON.stringify({ name: "atuserid", val: visitor })), 390 * 24 * 60 * 60, "; SameSite=Lax"),
        persistentCookie("demo_tracker_uid", randomToken(8), YEAR_S),
      ],
    }, `<p>Signed in. <a href="/">Continue</a></p>`);
  });
}

function logout(req, res, ctx) {
  ctx.sessions.delete(readCookies(req).get("sessionid"));
  send(req, res, 302, {
    Location: "/",
    "Content-Type": "text/html; charset=utf-8",
    "Cache-Control": "no-cache, private",
    "Set-Cookie": ["sessionid=; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; HttpOnly; Path=/; SameSite=Lax"],
  }, `<p>Signed out. <a href="/">Continue</a></p>`);
}

function records(req, res, url) {
  const limit = Math.max(0, Math.min(DATASETS.length, Number(url.searchParams.get("limit") ?? DATASETS.length) || 0));
  const body = JSON.stringify({
    total_count: DATASETS.length,
    results: DATASETS.slice(0, limit).map((d) => ({ dataset_id: d.id, title: d.title, theme: d.theme, records_count: d.records })),
  });
  send(req, res, 200, {
    "Content-Type": "application/json; charset=utf-8",
    "Cache-Control": "private, max-age=0",
    "Access-Control-Allow-Origin": "*",
    "Set-Cookie": [STATISTICS_COOKIES._gid()],
  }, body);
}

// The scripts are served no-store so every page load downloads (and counts) them again.
function sendScript(req, res, source) {
  send(req, res, 200, { "Content-Type": "text/javascript; charset=utf-8", "Cache-Control": "no-store" }, source);
}

function sendBeacon(req, res) {
  const drain = () => send(req, res, 200, { "Content-Type": "image/gif", "Cache-Control": "no-store" }, GIF_1X1);
  if (req.method === "POST") readBody(req, drain);
  else drain();
}

const MATOMO_JS = `/* demo Matomo tracker: writes the visitor and session cookies, then sends one hit */
(function () {
  var now = Math.floor(Date.now() / 1000);
  var id = Math.random().toString(16).slice(2, 18);
  document.cookie = "_pk_id.1.a1b2=" + id + "." + now + "; Path=/; Max-Age=" + (393 * 86400) + "; SameSite=Lax";
  document.cookie = "_pk_ses.1.a1b2=1; Path=/; Max-Age=1800; SameSite=Lax";
  (window.__demoAnalytics = window.__demoAnalytics || {}).matomo = true;
  new Image().src = "/analytics/matomo.php?idsite=1&rec=1&action_name=" + encodeURIComponent(document.title) + "&_id=" + id;
})();
`;

const GTAG_JS = `/* demo gtag.js: writes the _ga cookies, then sends one page_view */
(function () {
  var now = Math.floor(Date.now() / 1000);
  var cid = Math.floor(Math.random() * 2147483647) + "." + now;
  document.cookie = "_ga=GA1.1." + cid + "; Path=/; Max-Age=" + (2 * 365 * 86400) + "; SameSite=Lax";
  document.cookie = "_ga_DEMO123=GS1.1." + now + ".1.0.0.0.0.0; Path=/; Max-Age=" + (2 * 365 * 86400) + "; SameSite=Lax";
  (window.__demoAnalytics = window.__demoAnalytics || {}).gtag = true;
  new Image().src = "/analytics/collect?v=2&tid=G-DEMO123&en=page_view&cid=" + cid;
})();
`;

function notFound(req, res) {
  send(req, res, 404, { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-cache" }, "Not found\n");
}

// ---------------------------------------------------------------------------------------------
// Plumbing

/** Writes a whole response with Content-Length; `headers` values may be arrays (one line each). */
function send(req, res, status, headers, body) {
  const payload = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(body, "utf8");
  for (const [name, value] of Object.entries(headers)) {
    if (Array.isArray(value) && value.length === 0) continue;
    res.setHeader(name, value);
  }
  if (payload && status !== 204 && status !== 304) res.setHeader("Content-Length", payload.length);
  keepAlive(req, res);
  res.writeHead(status);
  res.end(req.method === "HEAD" ? undefined : payload);
}

function keepAlive(req, res) {
  if (!/\bclose\b/i.test(req.headers.connection ?? "")) res.setHeader("Connection", "keep-alive");
}

/** Reads a (small) request body whole. Portal routes only; fixtures stream. */
function readBody(req, done) {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => done(Buffer.concat(chunks)));
}

function failResponse(res, err) {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = `fixture error: ${err && err.message ? err.message : String(err)}\n`;
  // Name the reason: a writeHead that threw may have left its own status message behind.
  res.writeHead(500, "Internal Server Error", { "Content-Type": "text/plain; charset=utf-8", "Content-Length": Buffer.byteLength(body) });
  res.end(body);
}

function intParam(url, name, fallback, max) {
  const raw = url.searchParams.get(name);
  const n = raw === null ? fallback : Number(raw);
  if (!Number.isSafeInteger(n) || n < 0) return fallback;
  return Math.min(n, max);
}

// ---------------------------------------------------------------------------------------------
// Fixtures

function routeFixture(req, res, url) {
  switch (url.pathname) {
    case "/__fixture/respond":
      return fixtureRespond(req, res, url);
    case "/__fixture/echo":
      return fixtureEcho(req, res);
    case "/__fixture/redirect":
      return fixtureRedirect(req, res, url);
    case "/__fixture/stream":
      return fixtureStream(req, res, url);
    case "/__fixture/upload":
      return fixtureUpload(req, res);
    case "/__fixture/hang-headers":
      return; // the socket stays open until the client gives up or close() destroys it
    case "/__fixture/reset-mid-body":
      return fixtureResetMidBody(res, url);
    case "/__fixture/stall-body":
      res.writeHead(200, { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store" });
      res.write("first chunk\n");
      return;
    case "/__fixture/many-cookies":
      return fixtureManyCookies(req, res, url);
    case "/__fixture/big-header":
      return fixtureBigHeader(req, res, url);
    case "/__fixture/toss":
      return fixtureToss(req, res, url);
    default:
      return notFound(req, res);
  }
}

class SpecError extends Error {}

/** Decodes `?spec=` (base64url JSON) into { status, headers, setCookies, body }; throws SpecError. */
function readSpec(url) {
  const raw = url.searchParams.get("spec");
  if (raw === null) return { status: 200, headers: [], setCookies: [], body: undefined };
  let spec;
  try {
    spec = JSON.parse(Buffer.from(raw, "base64url").toString("utf8"));
  } catch (err) {
    throw new SpecError(`spec is not base64url JSON: ${err.message}`);
  }
  if (!spec || typeof spec !== "object" || Array.isArray(spec)) throw new SpecError("spec must be an object");
  const { status = 200, headers = [], setCookies = [], body, bodyBase64, conditional = false } = spec;
  if (!Number.isInteger(status) || status < 100 || status > 999) throw new SpecError("status must be an integer 100-999");
  const isPair = (h) => Array.isArray(h) && h.length === 2 && typeof h[0] === "string" && typeof h[1] === "string";
  if (!Array.isArray(headers) || !headers.every(isPair)) throw new SpecError("headers must be [name, value][] of strings");
  if (!Array.isArray(setCookies) || !setCookies.every((c) => typeof c === "string")) throw new SpecError("setCookies must be string[]");
  if (body !== undefined && typeof body !== "string") throw new SpecError("body must be a string");
  if (bodyBase64 !== undefined && typeof bodyBase64 !== "string") throw new SpecError("bodyBase64 must be a string");
  const payload = bodyBase64 !== undefined ? Buffer.from(bodyBase64, "base64") : body !== undefined ? Buffer.from(body, "utf8") : undefined;
  return { status, headers, setCookies, body: payload, conditional: conditional === true };
}

/** With `conditional`, the spec's ETag / Last-Modified answer a matching If-None-Match / If-Modified-Since with a 304. */
function notModified(req, spec) {
  if (!spec.conditional) return false;
  const header = (name) => spec.headers.find(([n]) => n.toLowerCase() === name)?.[1];
  const etag = header("etag");
  const inm = req.headers["if-none-match"];
  if (etag !== undefined && inm !== undefined) return inm.split(",").some((t) => t.trim() === etag);
  const lastModified = header("last-modified");
  return lastModified !== undefined && req.headers["if-modified-since"] === lastModified;
}

/** Node writes header strings as latin1: pass UTF-8 bytes through as such. */
function wireValue(value) {
  return Buffer.from(value, "utf8").toString("latin1");
}

function fixtureRespond(req, res, url) {
  let spec;
  try {
    spec = readSpec(url);
  } catch (err) {
    if (!(err instanceof SpecError)) throw err;
    return send(req, res, 400, { "Content-Type": "text/plain; charset=utf-8" }, `bad spec: ${err.message}\n`);
  }
  // ?pad=N: every "__PAD__" in the body becomes N × "x" (max 1 MiB), for large pages whose spec must fit in a URL.
  const pad = intParam(url, "pad", 0, 1024 * 1024);
  if (pad && spec.body) spec.body = Buffer.from(spec.body.toString("latin1").replaceAll("__PAD__", "x".repeat(pad)), "latin1");
  // Answer only after the request body is consumed, so the connection stays reusable.
  req.resume();
  req.on("end", () => {
    try {
      if (notModified(req, spec)) {
        const kept = spec.headers.filter(([n]) => /^(etag|last-modified|cache-control|vary|expires)$/i.test(n));
        res.writeHead(304, kept.flatMap(([n, v]) => [n, wireValue(v)]));
        return res.end();
      }
      const raw = [];
      for (const [name, value] of spec.headers) raw.push(name, wireValue(value));
      for (const line of spec.setCookies) raw.push("Set-Cookie", wireValue(line));
      const framed = spec.headers.some(([name]) => /^(content-length|transfer-encoding)$/i.test(name));
      const bodyless = spec.status < 200 || spec.status === 204 || spec.status === 304;
      const body = spec.body ?? Buffer.alloc(0);
      if (!framed && !bodyless) raw.push("Content-Length", String(body.length));
      res.writeHead(spec.status, raw);
      res.end(bodyless || req.method === "HEAD" ? undefined : body);
    } catch (err) {
      failResponse(res, err);
    }
  });
}

function fixtureEcho(req, res) {
  let bodyLength = 0;
  req.on("data", (c) => (bodyLength += c.length));
  req.on("end", () => {
    const headers = [];
    for (let i = 0; i < req.rawHeaders.length; i += 2) headers.push([req.rawHeaders[i], req.rawHeaders[i + 1]]);
    const body = JSON.stringify({ method: req.method, url: req.url, headers, bodyLength });
    send(req, res, 200, { "Content-Type": "application/json", "Cache-Control": "no-store" }, body);
  });
}

function fixtureRedirect(req, res, url) {
  let spec;
  try {
    spec = readSpec(url);
  } catch (err) {
    if (!(err instanceof SpecError)) throw err;
    return send(req, res, 400, { "Content-Type": "text/plain; charset=utf-8" }, `bad spec: ${err.message}\n`);
  }
  const raw = ["Location", wireValue(url.searchParams.get("to") ?? "/")];
  for (const [name, value] of spec.headers) raw.push(name, wireValue(value));
  for (const line of spec.setCookies) raw.push("Set-Cookie", wireValue(line));
  raw.push("Content-Length", "0", "Cache-Control", "no-store");
  res.writeHead(302, raw);
  res.end();
}

function fixtureStream(req, res, url) {
  const total = intParam(url, "bytes", 1024 * 1024, Number.MAX_SAFE_INTEGER);
  const chunkSize = Math.max(1, intParam(url, "chunk", 65536, 16 * 1024 * 1024));
  const chunk = Buffer.alloc(Math.max(1, Math.min(chunkSize, total)), 0x61);
  res.writeHead(200, {
    "Content-Type": url.searchParams.get("type") ?? "application/octet-stream",
    "Cache-Control": "no-store",
  });
  if (req.method === "HEAD") return res.end();
  let sent = 0;
  const pump = () => {
    while (sent < total) {
      if (res.destroyed) return;
      const n = Math.min(chunk.length, total - sent);
      sent += n;
      if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
        res.once("drain", pump);
        return;
      }
    }
    res.end();
  };
  pump();
}

function fixtureUpload(req, res) {
  if (req.method !== "POST" && req.method !== "PUT") {
    return send(req, res, 405, { Allow: "POST, PUT", "Content-Type": "text/plain; charset=utf-8" }, "POST or PUT\n");
  }
  let bytes = 0;
  req.on("data", (c) => (bytes += c.length));
  req.on("end", () => send(req, res, 200, { "Content-Type": "application/json", "Cache-Control": "no-store" }, JSON.stringify({ bytes })));
}

function fixtureResetMidBody(res, url) {
  res.writeHead(200, { "Content-Type": url.searchParams.get("type") ?? "application/octet-stream", "Content-Length": "1000000", "Cache-Control": "no-store" });
  // A FIN (destroy) rather than an RST, so the bytes already sent are not discarded by the peer's stack.
  res.write(Buffer.alloc(1000, 0x61), () => setTimeout(() => res.socket?.destroy(), 20));
}

function fixtureManyCookies(req, res, url) {
  const n = intParam(url, "n", 10_000, 100_000);
  const lines = [];
  if (n > 0) lines.push("sessionid=s3ss10n; HttpOnly; Path=/; SameSite=Lax");
  for (let i = 1; i < n; i++) lines.push(i % 2 ? `_ga_${i}=GA1.1.${i}; Path=/; Max-Age=63072000` : `unknown_${i}=v${i}; Path=/`);
  send(req, res, 200, { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store", "Set-Cookie": lines }, `${n} cookies\n`);
}

function fixtureBigHeader(req, res, url) {
  const bytes = intParam(url, "bytes", 65536, 8 * 1024 * 1024);
  send(req, res, 200, { "X-Big": "x".repeat(bytes), "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store" }, "ok\n");
}

/**
 * A sibling host's page that grants consent for the whole parent domain (cookie tossing) and,
 * with `flood`, fills the domain's cookie quota so that the browser evicts older cookies.
 */
function fixtureToss(req, res, url) {
  const value = url.searchParams.get("value") ?? "";
  const domain = url.searchParams.get("domain") ?? "opendatasoft.com";
  const flood = intParam(url, "flood", 0, 2000);
  const secure = url.searchParams.get("secure") === "1" ? "; Secure" : "";
  // Another round of filler gets names of its own (flood_<round>_<i>), so it adds cookies instead of overwriting.
  const round = intParam(url, "round", 0, 100);
  const filler = round ? `flood_${round}_` : "flood_";
  const grant = `cookies_preferences=${value}; Domain=${domain}; Path=/; Max-Age=86400`;
  const script = `<script>
  var grant = ${JSON.stringify(grant + secure)};
  for (var i = 0; i < ${flood}; i++) document.cookie = ${JSON.stringify(filler)} + i + "=x; Domain=${domain}; Path=/; Max-Age=86400${secure}";
  document.cookie = grant;
  window.__tossed = true;
</script>`;
  send(req, res, 200, { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store", "Set-Cookie": value ? [grant] : [] }, `<!doctype html><title>toss</title>${script}<p>tossed</p>`);
}

// ---------------------------------------------------------------------------------------------
// node demo/origin.mjs --port 9000 [--host 127.0.0.1] [--fixtures]

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const valueOf = (flag, fallback) => {
    const i = args.indexOf(flag);
    return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
  };
  const origin = await startOrigin({
    port: Number(valueOf("--port", "9000")),
    host: valueOf("--host", "127.0.0.1"),
    fixtures: args.includes("--fixtures"),
    tenant: valueOf("--tenant", "demo"),
  });
  console.log(`demo portal listening on ${origin.url}`);
  for (const signal of ["SIGINT", "SIGTERM"]) {
    process.once(signal, () => origin.close().then(() => process.exit(0)));
  }
}

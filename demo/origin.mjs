/**
 * A stand-in Opendatasoft portal for `npm start` (and, with the routes only tests need added by
 * test/fixtures/origin.mjs, for the integration and browser tests):
 * a plain node:http server (no dependencies; Node 20 and 24) that sets the cookies a real portal
 * sets, so the worker in front of it has something to strip. Not a model of the real portal's code.
 *
 *   import { startOrigin } from "./demo/origin.mjs";
 *   const origin = await startOrigin({ port: 0 });  // -> { port, url, close() }
 *   node demo/origin.mjs --port 9000 [--host 127.0.0.1] [--tenant maia]
 *
 * `routes` (optional): a function (req, res, url, ctx) tried before the portal's routes, true when it
 * answered; ctx.stats holds the portal's hit counts ({ "matomo.js", "gtag.js", "matomo.php", collect,
 * pages }, counted by the routes below). test/fixtures/origin.mjs adds the tests' routes so.
 *
 * Portal routes. Pages name the tenant after X-Forwarded-Host (else Host): "maia.opendatasoft.com"
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
 *   Every portal response has Content-Type, Cache-Control and Connection: keep-alive (unless the client
 *   asked to close).
 *
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
export async function startOrigin({ port = 0, host = "127.0.0.1", tenant = "demo", routes } = {}) {
  const stats = newStats();
  const sessions = new Map();
  const sockets = new Set();

  const server = http.createServer({ maxHeaderSize: MAX_HEADER_SIZE, requestTimeout: 0 }, (req, res) => {
    const url = new URL(req.url ?? "/", "http://origin.invalid");
    try {
      route(req, res, url, { stats, sessions, tenant, routes });
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

export function newStats() {
  return { "matomo.js": 0, "gtag.js": 0, "matomo.php": 0, collect: 0, pages: 0 };
}

function route(req, res, url, ctx) {
  const { pathname } = url;
  const method = req.method === "HEAD" ? "GET" : req.method;
  if (ctx.routes?.(req, res, url, ctx)) return;
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

export function notFound(req, res) {
  send(req, res, 404, { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-cache" }, "Not found\n");
}

// ---------------------------------------------------------------------------------------------
// Plumbing

/** Writes a whole response with Content-Length; `headers` values may be arrays (one line each). */
export function send(req, res, status, headers, body) {
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

/** Reads a (small) request body whole. */
function readBody(req, done) {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => done(Buffer.concat(chunks)));
}

export function failResponse(res, err) {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = `fixture error: ${err && err.message ? err.message : String(err)}\n`;
  // Name the reason: a writeHead that threw may have left its own status message behind.
  res.writeHead(500, "Internal Server Error", { "Content-Type": "text/plain; charset=utf-8", "Content-Length": Buffer.byteLength(body) });
  res.end(body);
}

// ---------------------------------------------------------------------------------------------
// node demo/origin.mjs --port 9000 [--host 127.0.0.1] [--tenant maia]

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const valueOf = (flag, fallback) => {
    const i = args.indexOf(flag);
    return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
  };
  const origin = await startOrigin({
    port: Number(valueOf("--port", "9000")),
    host: valueOf("--host", "127.0.0.1"),
    tenant: valueOf("--tenant", "demo"),
  });
  console.log(`demo portal listening on ${origin.url}`);
  for (const signal of ["SIGINT", "SIGTERM"]) {
    process.once(signal, () => origin.close().then(() => process.exit(0)));
  }
}

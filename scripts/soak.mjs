// `npm run soak [-- --seconds N --rate R]`: a soak of the worker on loopback at a FIXED request rate
// (default 150 s at 200 req/s: workerd's heap grows for about the first minute, with a bare pass-through
// worker too, so a shorter soak measures warm-up, not a leak). The worker bundle (wrangler deploy --dry-run) runs in raw `workerd serve`
// in front of the demo portal with its fixture routes; requests mix no-consent and full-consent HTML
// pages, JSON, /cookies (GET and the form POST) and a 10,000-line Set-Cookie response.
// Every response's status and Set-Cookie names are checked, every 10th also its body; workerd's VmRSS
// is sampled every 2 s. Exits 0 when there were no errors, nothing mis-filtered and RSS flat (last third within
// 20 % of the middle third), 1 otherwise
// (2 when the harness itself broke). Not part of `npm test`: it takes a minute.
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { endsWhole, executableScripts } from "../bench/lib/checks.mjs";
import { acceptAllRecord } from "../bench/lib/consent-record.mjs";
import { bundleWorker, freePort, readWranglerConfig, memoryOf, startWorkerd, stop, writeWorkerdConfig } from "../bench/lib/processes.mjs";
import { startTestOrigin } from "../test/fixtures/origin.mjs";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const HOST = "maia.opendatasoft.com";
const MiB = 2 ** 20;

function arg(name, dflt) {
  const argv = process.argv.slice(2);
  const i = argv.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (i < 0) return dflt;
  const v = argv[i].includes("=") ? argv[i].split("=")[1] : argv[i + 1];
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) {
    console.error(`soak: --${name} needs a positive number, got ${v}`);
    process.exit(2);
  }
  return n;
}
const SECONDS = arg("seconds", 150);
const RATE = arg("rate", 200);
const SAMPLE_EVERY = 10;
const MEMORY_EVERY_MS = 2000;
const REQUEST_TIMEOUT_MS = 10_000;
const MAX_IN_FLIGHT = 2000;

if (Number(process.versions.node.split(".")[0]) < 22) {
  console.error(`soak: Node ${process.versions.node} is too old for wrangler; run it as \`npm run soak\`.`);
  process.exit(2);
}
// Bound the whole run, whatever hangs.
setTimeout(() => {
  console.error("soak: exceeded its time bound; aborting");
  process.exit(2);
}, (SECONDS + 180) * 1000).unref();

const log = (...a) => console.error("soak:", ...a);

// ---------------------------------------------------------------- the stack


// ---------------------------------------------------------------- requests and checks
/** Full consent: the worker's signed record, as "Accept all" writes it (set once workerd is up, before the mix runs). */
let CONSENTED = "";
const NECESSARY_HOME = ["csrftoken", "django_language"];
const ALL_HOME = ["_ga", "_ga_DEMO123", "_gid", "csrftoken", "django_language"];

const names = (headers) => (headers["set-cookie"] ?? []).map((l) => l.slice(0, l.indexOf("=")).trim());
const sameList = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

const tracking = (scripts) => scripts.filter(([attrs, text]) => /\/analytics\/(gtag|matomo)\.js/.test(attrs) || /_paq\s*=|gtag\(/.test(text));

function expectStatus(res, status) {
  return res.status === status ? undefined : `HTTP ${res.status}`;
}
function expectNames(res, expected) {
  const got = names(res.headers).sort();
  const want = [...expected].sort();
  return sameList(got, want) ? undefined : `Set-Cookie [${got.join(", ")}], expected [${want.join(", ")}]`;
}
function expectHtmlEnd(body) {
  return endsWhole(body) ? undefined : "HTML body truncated";
}

/** The mix, in a fixed cycle. `check(res, sampled)` returns undefined when right, else a reason. */
const MIX = [
  {
    label: "home, no consent",
    path: "/",
    headers: {},
    check: (res, sampled) =>
      expectStatus(res, 200) ??
      expectNames(res, NECESSARY_HOME) ??
      (sampled
        ? expectHtmlEnd(res.body) ??
          (tracking(executableScripts(res.body)).length ? "tracking scripts still executable" : undefined) ??
          (res.body.includes("consent-edge-banner") || res.body.includes("/cookies") ? undefined : "no banner or /cookies link")
        : undefined),
  },
  {
    label: "home, full consent",
    path: "/",
    get headers() {
      return { cookie: CONSENTED };
    },
    check: (res, sampled) =>
      expectStatus(res, 200) ??
      expectNames(res, ALL_HOME) ??
      (sampled
        ? expectHtmlEnd(res.body) ?? (tracking(executableScripts(res.body)).length >= 2 ? undefined : "consented tracking scripts were blocked")
        : undefined),
  },
  {
    label: "JSON, no consent (carries _ga: expired)",
    path: "/api/records",
    headers: { cookie: "sessionid=s; _ga=GA1.1.1.1" },
    check: (res, sampled) => {
      const bad = expectStatus(res, 200);
      if (bad) return bad;
      const lines = res.headers["set-cookie"] ?? [];
      // _gid stripped; the carried _ga expired (one or more expiry lines, all for _ga, none keeping a value).
      if (lines.some((l) => l.startsWith("_gid="))) return "_gid kept without consent";
      if (!lines.length || !lines.every((l) => l.startsWith("_ga=") && /max-age=0|expires=thu, 01 jan 1970/i.test(l))) {
        return `expected only expiry lines for _ga, got ${JSON.stringify(lines)}`;
      }
      if (sampled) {
        try {
          JSON.parse(res.body);
        } catch {
          return "JSON body unreadable";
        }
      }
    },
  },
  {
    label: "JSON, full consent",
    path: "/api/records",
    get headers() {
      return { cookie: `sessionid=s; _ga=GA1.1.1.1; ${CONSENTED}` };
    },
    check: (res) => expectStatus(res, 200) ?? expectNames(res, ["_gid"]),
  },
  {
    label: "/cookies page",
    path: "/cookies",
    headers: { accept: "text/html" },
    check: (res, sampled) =>
      expectStatus(res, 200) ??
      expectNames(res, []) ??
      (sampled ? expectHtmlEnd(res.body) ?? (res.body.includes('method="post"') ? undefined : "no preference form") : undefined),
  },
  {
    label: "/cookies form POST (accept)",
    path: "/cookies",
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", origin: `http://${HOST}` },
    body: "action=accept&return=%2Fexplore",
    check: (res) =>
      expectStatus(res, 303) ??
      expectNames(res, ["consent-edge-http", "cookies_preferences"]) ??
      (res.headers.location === "/explore" ? undefined : `Location ${res.headers.location}`),
  },
  {
    label: "10,000 Set-Cookie lines, no consent",
    path: "/__fixture/many-cookies?n=10000",
    headers: {},
    // ~400 KB of headers: the runtime's HTTP client loses some of these exchanges; a clean 502 page is
    // the accepted answer then (counted apart, as "clean 502"), never a 500 or a wrong filter.
    tolerate502: true,
    check: (res) =>
      expectStatus(res, 200) ?? (sameList(res.headers["set-cookie"] ?? [], ["sessionid=s3ss10n; HttpOnly; Path=/; SameSite=Lax"]) ? undefined : "many-cookies mis-filtered"),
  },
  {
    label: "dataset page, full consent, carried cookies",
    path: "/explore/dataset/qualite-de-l-air/",
    get headers() {
      return { cookie: `csrftoken=x; django_language=en; _ga=1; _ga_DEMO123=2; _gid=3; ${CONSENTED}` };
    },
    check: (res, sampled) => expectStatus(res, 200) ?? expectNames(res, []) ?? (sampled ? expectHtmlEnd(res.body) : undefined),
  },
];
// Weights: how many times each entry appears in one cycle (the heavy 10k-cookie case rarely).
const CYCLE = [0, 1, 2, 3, 4, 0, 1, 7, 5, 0, 1, 4, 2, 3, 0, 1, 7, 4, 1, 0].concat([6]);

function send(agent, port, kase) {
  return new Promise((resolve) => {
    const started = performance.now();
    const req = http.request(
      { host: "127.0.0.1", port, path: kase.path, method: kase.method ?? "GET", headers: { host: HOST, ...kase.headers }, agent },
      (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString("utf8"), ms: performance.now() - started }),
        );
        res.on("error", (error) => resolve({ status: 0, error, ms: performance.now() - started }));
      },
    );
    req.on("error", (error) => resolve({ status: 0, error, ms: performance.now() - started }));
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error(`timeout after ${REQUEST_TIMEOUT_MS} ms`)));
    req.end(kase.body);
  });
}

// ---------------------------------------------------------------- the run
let keepWork = false;

async function main() {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "consent-edge-soak-"));
  let origin;
  let workerd;
  try {
    log("bundling the worker (wrangler deploy --dry-run)");
    const bundle = await bundleWorker({ root: ROOT, outdir: path.join(work, "bundle") });
    if (bundle.error) throw new Error(bundle.error);
    origin = await startTestOrigin({ port: 0 });
    const ports = { passthrough: await freePort(), edge: await freePort() };
    const config = writeWorkerdConfig({
      dir: work,
      passthroughFile: path.join(ROOT, "bench", "passthrough.mjs"),
      bundleDir: path.join(work, "bundle"),
      mainModule: "index.js",
      ports,
      origin: origin.url,
      ...readWranglerConfig(ROOT),
    });
    workerd = await startWorkerd(config, [ports.edge], path.join(work, "workerd.log"));
    CONSENTED = await acceptAllRecord({ port: ports.edge, host: HOST });
    log(`workerd pid ${workerd.pid} on 127.0.0.1:${ports.edge}; origin ${origin.url}; ${SECONDS} s at ${RATE} req/s`);

    const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
    const stats = { sent: 0, done: 0, clean502: 0, errors: 0, misfiltered: 0, sampled: 0, maxInFlight: 0, latencies: [] };
    const failures = [];
    const perCase = MIX.map((k) => ({ label: k.label, n: 0, bad: 0 }));
    const memory = [];
    const sampleMemory = () => {
      try {
        memory.push({ t: (Date.now() - start) / 1000, rss: memoryOf(workerd.pid).rss });
      } catch {}
    };

    const start = Date.now();
    const total = Math.round(SECONDS * RATE);
    sampleMemory();
    const memTimer = setInterval(sampleMemory, MEMORY_EVERY_MS);
    const inflight = new Set();

    await new Promise((resolve) => {
      const tick = () => {
        const due = Math.min(total, Math.floor(((Date.now() - start) / 1000) * RATE));
        while (stats.sent < due) {
          if (inflight.size >= MAX_IN_FLIGHT) {
            stats.errors++;
            failures.push(`request ${stats.sent}: over ${MAX_IN_FLIGHT} requests in flight (the worker fell behind)`);
            stats.sent++;
            continue;
          }
          const i = stats.sent++;
          const caseIndex = CYCLE[i % CYCLE.length];
          const kase = MIX[caseIndex];
          const sampled = i % SAMPLE_EVERY === 0;
          const p = send(agent, ports.edge, kase).then((res) => {
            inflight.delete(p);
            stats.done++;
            perCase[caseIndex].n++;
            stats.latencies.push(res.ms);
            if (res.error) {
              stats.errors++;
              perCase[caseIndex].bad++;
              if (failures.length < 20) failures.push(`#${i} ${kase.label}: ${res.error.message}`);
              return;
            }
            if (sampled) stats.sampled++;
            if (kase.tolerate502 && res.status === 502 && res.headers["cache-control"] === "no-store" && res.body.includes("<h1>502 Bad Gateway</h1>")) {
              stats.clean502++;
              perCase[caseIndex].clean502 = (perCase[caseIndex].clean502 ?? 0) + 1;
              return;
            }
            const bad = kase.check(res, sampled);
            if (bad) {
              if (res.status >= 500 || res.status === 0) stats.errors++;
              else stats.misfiltered++;
              perCase[caseIndex].bad++;
              if (failures.length < 20) failures.push(`#${i} ${kase.label}: ${bad}`);
            }
          });
          inflight.add(p);
          stats.maxInFlight = Math.max(stats.maxInFlight, inflight.size);
        }
        if (stats.sent >= total) return resolve();
        setTimeout(tick, 2);
      };
      tick();
    });
    await Promise.all([...inflight]);
    const elapsed = (Date.now() - start) / 1000;
    clearInterval(memTimer);
    sampleMemory();
    agent.destroy();

    const lat = stats.latencies.sort((a, b) => a - b);
    const q = (p) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] ?? NaN;
    const rss = memory.map((m) => m.rss);
    // After the first 10 s (JIT and caches warm up), RSS should no longer grow.
    const warm = memory.filter((m) => m.t >= Math.min(10, SECONDS / 3));
    const summary = {
      seconds: Number(elapsed.toFixed(1)),
      rate: RATE,
      requests: stats.done,
      achievedRate: Number((stats.done / elapsed).toFixed(1)),
      errors: stats.errors,
      misfiltered: stats.misfiltered,
      clean502OnManyCookies: stats.clean502,
      bodyChecked: stats.sampled,
      maxInFlight: stats.maxInFlight,
      latencyMs: { p50: Number(q(0.5).toFixed(2)), p99: Number(q(0.99).toFixed(2)), max: Number(q(1).toFixed(2)) },
      workerdRssMiB: {
        first: Number((rss[0] / MiB).toFixed(1)),
        afterWarmup: Number(((warm[0]?.rss ?? NaN) / MiB).toFixed(1)),
        last: Number((rss[rss.length - 1] / MiB).toFixed(1)),
        max: Number((Math.max(...rss) / MiB).toFixed(1)),
        samples: rss.length,
        series: memory.map((m) => `${m.t.toFixed(0)}s:${(m.rss / MiB).toFixed(0)}`).join(" "),
      },
      perCase,
    };
    keepWork = stats.errors > 0;
    // Flat memory: the median RSS of the last third of the run is within 20 % of the middle third's
    // (the first third is warm-up: V8 sizes its heap, caches fill).
    const third = (k) => memory.filter((m) => m.t >= (k * elapsed) / 3 && m.t < ((k + 1) * elapsed) / 3).map((m) => m.rss).sort((a, b) => a - b);
    const med = (xs) => xs[xs.length >> 1];
    const growth = med(third(2)) / med(third(1)) - 1;
    summary.workerdRssMiB.growthLastVsMiddleThird = `${(growth * 100).toFixed(1)} %`;
    const memoryFlat = !(growth > 0.2);
    if (!memoryFlat) log(`memory still growing: last third's median RSS ${(growth * 100).toFixed(1)} % above the middle third's`);
    const ok = stats.errors === 0 && stats.misfiltered === 0 && stats.done === total && memoryFlat;
    console.log(JSON.stringify(summary, null, 2));
    if (failures.length) log(`first failures:\n  ${failures.join("\n  ")}`);
    log(ok ? "PASS: 0 errors, every response filtered correctly, memory flat" : "FAIL");
    return ok ? 0 : 1;
  } finally {
    if (workerd) await stop(workerd);
    if (origin) await origin.close();
    if (process.exitCode || keepWork) log(`work directory kept: ${work} (workerd.log)`);
    else fs.rmSync(work, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error("soak: harness failed:", err);
    process.exit(2);
  },
);

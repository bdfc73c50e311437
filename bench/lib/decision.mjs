// Decision cost: what the worker does per request to decide, for one response of 5 and of 50
// Set-Cookie lines, timed in Node on the source modules bundled by esbuild (the same source the
// worker bundles):
//   stateFor (src/request-state.ts): parse the Cookie header, read the signed consent record
//     (src/consent/record.ts: one HMAC verify per new value, then a lookup in the per-isolate Map);
//   decideRequest (src/proxy/enforce.ts): the Cookie header for the origin, the expiry lines;
//   decideResponse: the Set-Cookie keep/strip decision (src/cookies/decide.ts);
//   stripLog: the record handed to the strip tally when anything was stripped.
// The request's headers are read through a Map (the runtime's own Headers.get is not timed), and
// the tally that aggregates the log (src/proxy/exchange-log.ts) is not part of the decision.
import { webcrypto } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { benchSetCookies } from "../origin.mjs";

const MODULES = {
  state: "src/request-state.ts",
  enforce: "src/proxy/enforce.ts",
  record: "src/consent/record.ts",
  index: "src/consent/consent-index.ts",
  serialize: "src/consent/serialize.ts",
  policy: "src/policy/index.ts",
};
const HOST = "maia.opendatasoft.com";
const URL_HTTPS = `https://${HOST}/explore/`;
const SECRET = "bench-decision-secret-0123456789";

/** 5 lines: 3 statistics, 2 necessary. 50 lines: the 8 realistic lines, renamed variants and unknown cookies. */
export function decisionInputs(now = Date.now()) {
  const eight = benchSetCookies(now);
  const five = [eight[0], eight[1], eight[2], eight[4], eight[6]];
  const fifty = [];
  for (let i = 0; fifty.length < 50; i++) {
    const line = eight[i % 8];
    const round = Math.floor(i / 8);
    if (round === 0) fifty.push(line);
    else if (i % 2 === 0) fifty.push(line.replace(/^_ga_BENCH1=/, `_ga_BENCH${round + 1}=`).replace(/^_pk_id\.1\.abcd=/, `_pk_id.${round + 1}.abcd=`));
    else fifty.push(`tracker_${i}=v${i}; Expires=${new Date(now + 86_400_000).toUTCString()}; Path=/; SameSite=None; Secure`);
  }
  return { 5: five, 50: fifty };
}

/**
 * The expected fate of a cookie name under the base Opendatasoft policy, written apart from the
 * policy code (an oracle, not a second call of `classify`): "necessary", a consent key, or
 * "unknown". Only the names the inputs use.
 */
function expectedClass(name) {
  if (name === "sessionid" || name === "csrftoken" || name === "django_language") return "necessary";
  if (name === "_ga" || name === "_gid" || /^_ga_BENCH[0-9]+$/.test(name)) return "ga";
  if (/^_pk_(id|ses)\.[0-9]+\.abcd$/.test(name)) return "matomo";
  return "unknown";
}
const lineName = (line) => line.slice(0, line.indexOf("="));

/** Bundles the modules for Node; `{ reason }` when they do not exist or lack an export. */
async function loadModules(root, workDir) {
  const missing = Object.values(MODULES).filter((m) => !fs.existsSync(path.join(root, m)));
  if (missing.length) return { reason: `not written yet: ${missing.join(", ")}` };
  const { build } = await import("esbuild");
  const outfile = path.join(workDir, "decision.mjs");
  try {
    await build({
      stdin: {
        contents: Object.entries(MODULES).map(([k, m]) => `export * as ${k} from "./${m}";`).join("\n"),
        resolveDir: root,
        loader: "ts",
        sourcefile: "bench-decision-entry.ts",
      },
      bundle: true,
      format: "esm",
      platform: "node",
      target: "node22",
      outfile,
      logLevel: "silent",
    });
  } catch (e) {
    return { reason: `esbuild failed: ${String(e.message).split("\n").slice(0, 3).join(" ")}` };
  }
  const mod = await import(`${pathToFileURL(outfile).href}?t=${Date.now()}`);
  const need = {
    stateFor: mod.state.stateFor,
    decideRequest: mod.enforce.decideRequest,
    decideResponse: mod.enforce.decideResponse,
    stripLog: mod.enforce.stripLog,
    consentKey: mod.record.consentKey,
    signConsentRecord: mod.record.signConsentRecord,
    newConsentRecord: mod.record.newConsentRecord,
    readConsentRecord: mod.record.readConsentRecord,
    RECORD_COOKIE: mod.record.RECORD_COOKIE,
    indexConsentPolicy: mod.index.indexConsentPolicy,
    portalValue: mod.serialize.portalValue,
    CONSENT_COOKIE: mod.serialize.CONSENT_COOKIE,
    POLICIES: mod.policy.POLICIES,
  };
  const absent = Object.entries(need).filter(([, v]) => v === undefined).map(([k]) => k);
  if (absent.length) return { reason: `not exported: ${absent.join(", ")}` };
  const policy = need.POLICIES.byHost(HOST);
  if (!policy) return { reason: `POLICIES.byHost("${HOST}") is undefined` };
  return { ...need, policy };
}

/** A request as stateFor reads it: its URL and headers (a Map lookup stands for the runtime's Headers.get). */
function fakeRequest(cookie) {
  const headers = new Map(cookie ? [["cookie", cookie]] : []);
  return { url: URL_HTTPS, headers: { get: (name) => headers.get(name) ?? null } };
}

/**
 * The visitor states, each with the Cookie header its browser sends over https:
 * - none: no choice yet (no record), the portal's necessary cookies;
 * - full: a record granting every key, the matching cookies_preferences, and the trackers it allowed;
 * - refused: a refusal record and its cookies_preferences (the steady state after "Refuse all");
 * - withdrawn: a refusal record with the trackers still in the jar, which the worker expires on
 *   the host and the parent domain (the first request after a withdrawal; not in the target).
 */
async function visitorStates(m, now) {
  const key = m.consentKey(SECRET, () => {});
  if (!key) throw new Error("consentKey refused the bench secret");
  const all = m.indexConsentPolicy(m.policy).keys;
  const necessary = "sessionid=q8v2k1m0zx7c3b4n5a6s7d8f9g0h1j2k; csrftoken=Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0Fe; django_language=fr";
  const trackers = "_ga=GA1.1.1234567890.1700000000; _gid=GA1.1.987654321.1700000000; _pk_id.1.abcd=0123456789abcdef.1700000000.";
  const withRecord = async (granted, carried) => {
    const value = await m.signConsentRecord(m.newConsentRecord(granted, now - 60_000), m.policy, await key);
    const consent = await m.readConsentRecord([value], m.policy, key, undefined, now);
    if (!consent?.explicit) throw new Error("a freshly signed record did not verify");
    const portal = m.portalValue(consent, m.policy);
    return `${necessary}; ${carried ? `${trackers}; ` : ""}${m.CONSENT_COOKIE}=${portal}; ${m.RECORD_COOKIE}=${value}`;
  };
  return {
    none: { cookie: necessary, granted: [], explicit: false, target: true },
    full: { cookie: await withRecord(all, true), granted: all, explicit: true, target: true },
    refused: { cookie: await withRecord([], false), granted: [], explicit: true, target: true },
    withdrawn: { cookie: await withRecord([], true), granted: [], explicit: true, carried: true, target: false },
  };
}

/** The worker's per-request decision for one request and the origin's Set-Cookie lines. */
async function decide(m, request, lines) {
  const state = await m.stateFor(request, m.policy, HOST, SECRET);
  const ctx = { policy: m.policy, consent: state.consent, secure: state.secure, host: state.host };
  const req = m.decideRequest(request.headers.get("cookie"), ctx);
  const res = m.decideResponse(lines, req, ctx);
  const log = m.stripLog(ctx, req, res, { method: "GET", path: "/explore/", status: 200 });
  return { state, req, res, log };
}

/**
 * Honesty: the decision timed must be right, or nothing is timed. Kept lines are exactly the
 * expected ones (byte for byte, in order), stripped names and reasons match, the origin gets
 * only allowed cookies (never the record), the refused visitor's trackers are expired.
 */
function checkDecision(label, out, st, lines) {
  const fail = (what) => `decision wrong (${label}): ${what}`;
  if (out.state.consent.explicit !== st.explicit) return fail(`consent explicit ${out.state.consent.explicit}, expected ${st.explicit}`);
  const granted = [...out.state.consent.granted].sort().join(",");
  if (granted !== [...st.granted].sort().join(",")) return fail(`granted [${granted}], expected [${st.granted}]`);
  const allowed = (name) => {
    const c = expectedClass(name);
    return c === "necessary" || st.granted.includes(c);
  };
  const keep = lines.filter((l) => allowed(lineName(l)));
  const kept = out.res.setCookies.slice(0, keep.length);
  if (kept.length !== keep.length || kept.some((l, i) => l !== keep[i])) return fail(`kept ${kept.map(lineName)}, expected ${keep.map(lineName)}`);
  const strip = lines.filter((l) => !allowed(lineName(l))).map((l) => `${lineName(l)}:${expectedClass(lineName(l)) === "unknown" ? "unknown" : "no-consent"}`);
  const stripped = out.res.stripped.map((s) => `${s.name}:${s.reason}`);
  if (stripped.join(" ") !== strip.join(" ")) return fail(`stripped [${stripped}], expected [${strip}]`);
  if (strip.length === 0 ? out.log !== undefined : out.log?.stripped?.length !== strip.length) return fail("strip log record does not match the stripped lines");
  if (keep.length > 0 && !keep.some((l) => lineName(l) === "sessionid")) return fail("sessionid not among the expected kept lines");
  // The request side: what reaches the origin, and what the visitor's browser must forget.
  const sent = (out.req.cookie ?? "").split("; ").filter(Boolean).map((p) => p.slice(0, p.indexOf("=")));
  if (sent.some((n) => n.startsWith("__Host-"))) return fail("the consent record was forwarded to the origin");
  const wrongSent = sent.filter((n) => n !== "cookies_preferences" && !allowed(n));
  if (wrongSent.length) return fail(`forwarded without consent: ${wrongSent}`);
  for (const n of ["sessionid", "csrftoken", "django_language"]) if (!sent.includes(n)) return fail(`necessary cookie ${n} not forwarded`);
  if (st.explicit !== sent.includes("cookies_preferences")) return fail("cookies_preferences forwarded iff the record is trusted: not so");
  const expired = [...out.req.expired].sort().join(",");
  const shouldExpire = st.carried ? ["_ga", "_gid", "_pk_id.1.abcd"].filter((n) => !allowed(n)).sort().join(",") : "";
  if (expired !== shouldExpire) return fail(`expired [${expired}], expected [${shouldExpire}]`);
  const expiryLines = out.res.setCookies.slice(keep.length);
  if (expiryLines.length < out.req.expired.length || expiryLines.some((l) => !/; Max-Age=0; Expires=Thu, 01 Jan 1970 /.test(l))) return fail("expiry lines missing or not expiring");
  for (const n of out.req.expired) if (!expiryLines.some((l) => l.startsWith(`${n}=;`))) return fail(`no expiry line for ${n}`);
  return undefined;
}

/** Median µs per call of async `fn` over batches; bounded to ~`budgetMs` and `maxIterations`. */
async function time(fn, { budgetMs = 2000, maxIterations = 400_000 } = {}) {
  let sink = 0;
  // Warm-up (JIT, the verified-record cache) and calibration.
  let t = performance.now();
  let warm = 0;
  while (warm < 20_000 && performance.now() - t < 500) sink += await fn(), warm++;
  const perIter = (performance.now() - t) / warm;
  const batch = Math.max(100, Math.min(20_000, Math.round(50 / perIter)));
  const samples = [];
  const start = performance.now();
  let done = 0;
  while (done < maxIterations && (samples.length < 5 || performance.now() - start < budgetMs) && performance.now() - start < budgetMs * 3) {
    t = performance.now();
    for (let i = 0; i < batch; i++) sink += await fn();
    samples.push(((performance.now() - t) * 1000) / batch);
    done += batch;
  }
  samples.sort((a, b) => a - b);
  return { us: samples[samples.length >> 1], iterations: done, batches: samples.length, sink };
}

/**
 * The cost of a record the isolate has not seen yet (one HMAC-SHA256 verify, Web Crypto in Node):
 * median µs over `n` distinct, valid records read once each. Reported, no target.
 */
async function timeFirstSight(m, now, n = 400) {
  const key = m.consentKey(SECRET, () => {});
  const values = [];
  for (let i = 0; i < n; i++) values.push(await m.signConsentRecord(m.newConsentRecord([], now - 1000 - i), m.policy, await key));
  const samples = [];
  for (const v of values) {
    const t = performance.now();
    const c = await m.readConsentRecord([v], m.policy, key, undefined, now);
    samples.push((performance.now() - t) * 1000);
    if (!c?.explicit) throw new Error("first-sight record did not verify");
  }
  samples.sort((a, b) => a - b);
  return { us: samples[samples.length >> 1], records: n };
}

/**
 * Times the decision for 5 and 50 lines in the visitor states above. Returns { status: "n/a",
 * reason } while the modules are missing, { status: "broken", reason } when their answer is
 * wrong, else per-size results (`us`, the measured value: the slowest of none, full and
 * refused; withdrawn is timed beside it) and the first-sight cost of a record.
 */
export async function benchDecision(root, workDir) {
  // Node 24 has Web Crypto as a global; older ones only under node:crypto.
  globalThis.crypto ??= webcrypto;
  const m = await loadModules(root, workDir);
  if (!m.policy) return { status: "n/a", reason: m.reason };
  const now = Date.now();
  const inputs = decisionInputs(now);
  let states;
  try {
    states = await visitorStates(m, now);
  } catch (e) {
    return { status: "broken", reason: `decision setup failed: ${e.message}` };
  }
  const requests = Object.fromEntries(Object.entries(states).map(([k, st]) => [k, fakeRequest(st.cookie)]));

  for (const size of [5, 50]) {
    for (const [state, st] of Object.entries(states)) {
      const wrong = checkDecision(`${state}, ${size} lines`, await decide(m, requests[state], inputs[size]), st, inputs[size]);
      if (wrong) return { status: "broken", reason: wrong };
    }
  }
  // A forged record must not be trusted, or the states above prove nothing.
  const forged = states.full.cookie.replace(/(__Host-consent-edge=(?:[^.;]*\.){4})(.)/, (_, head, c) => head + (c === "A" ? "B" : "A"));
  if (forged === states.full.cookie) return { status: "broken", reason: "decision setup: could not forge the record" };
  if ((await decide(m, fakeRequest(forged), inputs[5])).state.consent.explicit) return { status: "broken", reason: "decision wrong: a forged record was trusted" };

  const results = {};
  for (const size of [5, 50]) {
    const lines = inputs[size];
    results[size] = {};
    for (const state of Object.keys(states)) {
      const request = requests[state];
      results[size][state] = await time(async () => (await decide(m, request, lines)).res.setCookies.length);
    }
    results[size].us = Math.max(...Object.keys(states).filter((s) => states[s].target).map((s) => results[size][s].us));
  }
  const firstSight = await timeFirstSight(m, now);
  return { status: "ok", results, firstSight };
}

// workerd's CPU per request as pages grow: sequential requests on one keep-alive connection, the
// runtime's CPU time (all threads, /proc schedstat) over them divided by their number, each mode
// alternated with the pass-through of the same page and taken as the median over rounds of
// (mode − pass-through). A sequential client leaves workerd idle between requests, so the figure
// is the work per request, whatever else the machine runs (the load generator's and the origin's
// CPU are other processes).
import http from "node:http";
import { request } from "./load.mjs";
import { cpuNsOf } from "./processes.mjs";

const median = (xs) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Requests per measure for a page of `kb`: about `bytes` of page per measure, 4 to 150 requests. */
export const requestsFor = (kb, bytes = 2e6) => Math.max(4, Math.min(150, Math.round(bytes / 1000 / kb)));

/**
 * µs of workerd CPU per request for `n` sequential GETs (after `warmup` untimed ones), and the
 * statuses seen. Every answer must be 200 unless `status` says otherwise.
 */
export async function cpuPerRequest({ pid, port, path, headers, n, warmup = 2 }) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const statuses = new Map();
    for (let i = 0; i < warmup; i++) await request({ port, path, headers, agent, timeoutMs: 30_000 });
    const cpu0 = cpuNsOf(pid);
    for (let i = 0; i < n; i++) {
      const r = await request({ port, path, headers, agent, timeoutMs: 30_000 });
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
    }
    const cpu1 = cpuNsOf(pid);
    return { us: (cpu1 - cpu0) / 1000 / n, statuses: Object.fromEntries(statuses) };
  } finally {
    agent.destroy();
  }
}

/**
 * For each page (`pages`: [{ key, path, kb }]) and each mode (`modes`: [{ id, port, headers }],
 * the first being the pass-through), `rounds` alternations of pass-through and mode: the median
 * pass-through µs and each mode's median extra µs per request. `onMeasure` logs progress.
 */
export async function sizeCurve({ pid, pages, modes, rounds, pageBytesPerMeasure, onMeasure }) {
  const [pass, ...others] = modes;
  const out = {};
  for (const page of pages) {
    const n = requestsFor(page.kb, pageBytesPerMeasure);
    const per = Object.fromEntries(modes.map((m) => [m.id, []]));
    const extra = Object.fromEntries(others.map((m) => [m.id, []]));
    const statuses = {};
    for (let round = 0; round < rounds; round++) {
      for (const m of others) {
        const b = await cpuPerRequest({ pid, port: pass.port, path: page.path, headers: pass.headers, n });
        const x = await cpuPerRequest({ pid, port: m.port, path: page.path, headers: m.headers, n });
        per[pass.id].push(b.us);
        per[m.id].push(x.us);
        extra[m.id].push(x.us - b.us);
        statuses[m.id] = x.statuses;
        onMeasure?.(page, m, x.us - b.us, b.us);
      }
    }
    out[page.key] = {
      kb: page.kb,
      requests: n,
      passUs: median(per[pass.id]),
      extraUs: Object.fromEntries(others.map((m) => [m.id, median(extra[m.id])])),
      statuses,
    };
  }
  return out;
}

// HTTP load generators on node:http keep-alive agents. runLoad: closed loop, N connections, each
// sending its next request when the previous response has been read, for a fixed time (the
// throughput; at saturation its latency is mostly queueing). runRate: open loop, requests sent at a
// fixed rate whatever the answers (the latency a request meets below saturation). Latencies go into
// a log-linear histogram (< 1 % relative error) from which req/s, p50 and p99 are read.
import http from "node:http";

/** Log-linear latency histogram in microseconds: exact below 128 µs, then 64 sub-buckets per power of two. */
export class LatencyHistogram {
  counts = new Uint32Array(128 + 26 * 64);
  total = 0;

  record(us) {
    const v = Math.min(Math.max(1, Math.round(us)), 2 ** 32 - 1);
    let i = v;
    if (v >= 128) {
      const e = 31 - Math.clz32(v);
      i = 128 + (e - 7) * 64 + ((v >>> (e - 6)) - 64);
    }
    this.counts[i]++;
    this.total++;
  }

  /** The latency (µs, bucket midpoint) at quantile q in [0, 1]; NaN when empty. */
  quantile(q) {
    if (this.total === 0) return NaN;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i];
      if (seen >= rank) {
        if (i < 128) return i;
        const e = 7 + Math.floor((i - 128) / 64);
        const shift = e - 6;
        const m = 64 + ((i - 128) % 64);
        return m * 2 ** shift + 2 ** shift / 2;
      }
    }
    return NaN;
  }
}

/** One request; resolves with status, headers and (optionally) the body. Never rejects. */
export function request({ port, path, method = "GET", headers = {}, agent, keepBody = false, body, timeoutMs = 10_000 }) {
  return new Promise((resolve) => {
    let settled = false;
    const done = (v) => {
      if (!settled) (settled = true), resolve(v);
    };
    const req = http.request({ host: "127.0.0.1", port, path, method, headers, agent }, (res) => {
      const chunks = keepBody ? [] : null;
      if (keepBody) res.on("data", (c) => chunks.push(c));
      else res.resume();
      res.on("end", () => done({ status: res.statusCode, headers: res.headers, body: keepBody ? Buffer.concat(chunks) : null }));
      res.on("error", (error) => done({ status: 0, error }));
    });
    req.on("error", (error) => done({ status: 0, error }));
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
    req.end(body);
  });
}

/** A keep-alive agent of at most `sockets` connections, all kept open between requests. */
const keepAliveAgent = (sockets) => new http.Agent({ keepAlive: true, maxSockets: sockets, maxFreeSockets: sockets });

/** A phase's answers: status 200 is a success, its latency from `t0` recorded in `hist`; anything else an error (the first one kept). */
class Outcomes {
  ok = 0;
  errors = 0;
  firstError;
  constructor(hist) {
    this.hist = hist;
  }
  add(res, t0) {
    if (res.status === 200) {
      this.ok++;
      this.hist?.record((performance.now() - t0) * 1000);
    } else {
      this.errors++;
      this.firstError ??= res.error ? String(res.error.message) : `HTTP ${res.status}`;
    }
  }
}

/**
 * Runs `connections` closed loops against 127.0.0.1:port for `durationMs` after `warmupMs`.
 * Only status 200 counts as a success; anything else is an error and is not timed.
 * `cpuNs` (optional): reads the server's CPU time, taken around the timed phase for `cpuUsPerRequest`.
 */
export async function runLoad({ port, path, headers = {}, connections = 50, durationMs = 5000, warmupMs = 1000, cpuNs }) {
  const agent = keepAliveAgent(connections);
  const opts = { port, path, headers, agent };
  async function phase(ms, hist) {
    const deadline = performance.now() + ms;
    const out = new Outcomes(hist);
    async function loop() {
      while (performance.now() < deadline && out.errors < 1000) {
        const t0 = performance.now();
        out.add(await request(opts), t0);
      }
    }
    const start = performance.now();
    await Promise.all(Array.from({ length: connections }, loop));
    return { ok: out.ok, errors: out.errors, firstError: out.firstError, seconds: (performance.now() - start) / 1000 };
  }
  try {
    if (warmupMs > 0) await phase(warmupMs, null);
    const hist = new LatencyHistogram();
    const cpu0 = cpuNs?.() ?? NaN;
    const r = await phase(durationMs, hist);
    const cpu1 = cpuNs?.() ?? NaN;
    return {
      cpuUsPerRequest: (cpu1 - cpu0) / 1000 / (r.ok + r.errors),
      rps: r.ok / r.seconds,
      p50Ms: hist.quantile(0.5) / 1000,
      p99Ms: hist.quantile(0.99) / 1000,
      requests: r.ok,
      errors: r.errors,
      firstError: r.firstError,
      seconds: r.seconds,
    };
  } finally {
    agent.destroy();
  }
}

/**
 * Sends requests to 127.0.0.1:port at `rate` per second for `durationMs` after `warmupMs`,
 * whatever the answers (open loop), on at most `maxInFlight` connections. A server that stalls
 * does not hold the next requests back, so each one that meets the stall is timed with it (a
 * closed loop sends only one per connection into it). Each latency runs from the moment the
 * request left; how late the generator's timers sent them is reported apart (`lateMs`, the mean),
 * not charged to the server. A request due while `maxInFlight` are pending is not sent and counts
 * as `skipped`. Only status 200 is timed.
 */
export async function runRate({ port, path, headers = {}, rate, durationMs = 3000, warmupMs = 500, maxInFlight = 2048 }) {
  if (!(rate > 0)) throw new RangeError(`runRate: rate must be positive, not ${rate}`);
  const agent = keepAliveAgent(maxInFlight);
  const opts = { port, path, headers, agent };
  const interval = 1000 / rate;
  function phase(ms, hist) {
    const total = Math.max(1, Math.floor(ms / interval));
    const start = performance.now();
    const out = new Outcomes(hist);
    let sent = 0;
    let inFlight = 0;
    let skipped = 0;
    let late = 0;
    return new Promise((resolve) => {
      const finish = () => {
        if (sent === total && inFlight === 0)
          resolve({ ok: out.ok, errors: out.errors, skipped, firstError: out.firstError, lateMs: late / Math.max(1, sent - skipped), seconds: (performance.now() - start) / 1000 });
      };
      const tick = () => {
        const due = Math.min(total, Math.floor((performance.now() - start) / interval) + 1);
        while (sent < due) {
          const at = start + sent * interval;
          sent++;
          if (inFlight >= maxInFlight) {
            skipped++;
            continue;
          }
          inFlight++;
          const t0 = performance.now();
          late += t0 - at;
          request(opts).then((res) => {
            inFlight--;
            out.add(res, t0);
            finish();
          });
        }
        if (sent < total) setTimeout(tick, Math.max(0, start + sent * interval - performance.now()));
        else finish();
      };
      tick();
    });
  }
  try {
    if (warmupMs > 0) await phase(warmupMs, null);
    const hist = new LatencyHistogram();
    const r = await phase(durationMs, hist);
    return { rate, rps: r.ok / r.seconds, p50Ms: hist.quantile(0.5) / 1000, p99Ms: hist.quantile(0.99) / 1000, requests: r.ok, errors: r.errors, skipped: r.skipped, lateMs: r.lateMs, firstError: r.firstError, seconds: r.seconds };
  } finally {
    agent.destroy();
  }
}

// Allocation per request and garbage-collection pauses, from V8's own account: a second raw
// workerd with --trace-gc, one case at a time. Between two collections of an isolate it
// allocated (heap before this one) − (heap after the previous one); summed over a run and
// divided by the requests, that is what a request allocates (±0.1 MB per collection line, so
// runs are long enough for hundreds of them). The pauses are what the p99 pays for.
import fs from "node:fs";
import { runLoad } from "./load.mjs";

// [pid:0xISOLATE]  1517 ms: Scavenge 1.5 (2.5) -> 1.2 (3.5) MB, pooled: 0.0 MB, 3.35 / 0.00 ms ...
const LINE = /^\[\d+:(0x[0-9a-f]+)\]\s+\d+ ms: (Scavenge|Mark-Compact|Minor Mark-Sweep|Mark-Sweep)\S*(?: \([^)]*\))? ([\d.]+) \([\d.]+\) -> ([\d.]+) \([\d.]+\) MB.*?, ([\d.]+) \/ [\d.]+ ms/;

export function parseGcLines(text) {
  const out = [];
  for (const line of text.split("\n")) {
    const m = LINE.exec(line);
    if (m) out.push({ isolate: m[1], kind: m[2], before: Number(m[3]), after: Number(m[4]), pauseMs: Number(m[5]) });
  }
  return out;
}

/** Allocation and pauses of the busiest isolate over `lines`, `prior` being the lines logged before the run. */
export function summarizeGc(prior, lines, requests) {
  const counts = new Map();
  for (const l of lines) counts.set(l.isolate, (counts.get(l.isolate) ?? 0) + 1);
  const isolate = [...counts].sort((a, b) => b[1] - a[1])[0]?.[0];
  if (!isolate) return { error: "no collection during the run" };
  const mine = lines.filter((l) => l.isolate === isolate);
  let lastAfter = prior.filter((l) => l.isolate === isolate).at(-1)?.after ?? mine[0].before;
  let mb = 0;
  for (const l of mine) {
    mb += Math.max(0, l.before - lastAfter);
    lastAfter = l.after;
  }
  const full = mine.filter((l) => l.kind !== "Scavenge" && l.kind !== "Minor Mark-Sweep");
  return {
    collections: mine.length,
    kbPerRequest: (mb * 1024) / requests,
    pauseMsPer1000: (mine.reduce((s, l) => s + l.pauseMs, 0) * 1000) / requests,
    fullCollectionsPer10k: (full.length * 10_000) / requests,
    longestPauseMs: Math.max(0, ...mine.map((l) => l.pauseMs)),
  };
}

/** Runs each case for `seconds` against the --trace-gc workerd whose log is `logFile`. */
export async function benchAllocation({ cases, logFile, seconds, connections = 20 }) {
  const results = {};
  for (const [id, c] of Object.entries(cases)) {
    await runLoad({ port: c.port, path: c.path, headers: c.headers, connections, durationMs: 500, warmupMs: 0 });
    const prior = parseGcLines(fs.readFileSync(logFile, "utf8"));
    const offset = fs.statSync(logFile).size;
    const run = await runLoad({ port: c.port, path: c.path, headers: c.headers, connections, durationMs: seconds * 1000, warmupMs: 0 });
    await new Promise((r) => setTimeout(r, 200));
    const fd = fs.openSync(logFile, "r");
    const size = fs.fstatSync(fd).size;
    const buf = Buffer.alloc(size - offset);
    fs.readSync(fd, buf, 0, buf.length, offset);
    fs.closeSync(fd);
    results[id] = { label: c.label, requests: run.requests, ...summarizeGc(prior, parseGcLines(buf.toString("utf8")), run.requests) };
  }
  return results;
}

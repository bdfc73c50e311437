// Instructions per request: the same workerd config run under valgrind's callgrind, each case's
// requests counted alone (instrumentation switched on around them). A count does not move with the
// machine's load, so the ratio of two cases' counts is a steady companion to the throughput ratio,
// which a busy 2-core machine moves by tens of percent. It is not the same measure: under valgrind
// V8's JIT tiers up less, so JavaScript weighs somewhat more than at full speed. Optional: without
// valgrind the measure reports n/a and the rest of the bench runs as before.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { request } from "./load.mjs";

/** True when valgrind and callgrind_control are on PATH. */
export function callgrindAvailable() {
  const ok = (cmd, args) => spawnSync(cmd, args, { stdio: "ignore" }).status === 0;
  return ok("valgrind", ["--version"]) && ok("callgrind_control", ["--version"]);
}

/** The command prefix that runs workerd under callgrind, counting nothing until told to; its dumps go into `dir`. */
export function callgrindPrefix(dir) {
  return ["valgrind", "--tool=callgrind", "--instr-atstart=no", `--callgrind-out-file=${path.join(dir, "callgrind.out.%p")}`];
}

function control(pid, ...args) {
  const r = spawnSync("callgrind_control", [...args, String(pid)], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`callgrind_control ${args.join(" ")} failed: ${(r.stderr || r.stdout).trim().split("\n").pop()}`);
}

/** The instructions of one callgrind dump (its `totals:` line). */
export function dumpTotal(text) {
  const m = /^totals:\s*(\d+)/m.exec(text);
  return m ? Number(m[1]) : NaN;
}

/**
 * Counts each case's instructions per request, `requests` sequential requests on one keep-alive
 * connection after `warmup` uncounted ones, `reps` times in alternation; the minimum of the reps
 * (a collection of V8's old generation lands in one rep, not in all). `pid` is the workerd under
 * callgrindPrefix(dir). Returns { [id]: { label, kIr, reps } }; a case whose requests fail gets `error`.
 */
export async function benchInstructions({ cases, pid, dir, requests = 100, warmup = 30, reps = 2 }) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const seen = new Set(fs.readdirSync(dir));
  const results = Object.fromEntries(Object.entries(cases).map(([id, c]) => [id, { label: c.label, kIr: NaN, reps: [] }]));
  const send = async (c, n) => {
    for (let i = 0; i < n; i++) {
      const res = await request({ port: c.port, path: c.path, headers: c.headers, agent, timeoutMs: 60_000 });
      if (res.status !== 200) throw new Error(`HTTP ${res.status || res.error?.message}`);
    }
  };
  try {
    for (let rep = 0; rep < reps; rep++) {
      for (const [id, c] of Object.entries(cases)) {
        if (results[id].error) continue;
        try {
          await send(c, warmup);
          control(pid, "--zero");
          control(pid, "--instr=on");
          await send(c, requests);
          control(pid, "--instr=off");
          control(pid, `--dump=${id}-${rep}`);
        } catch (e) {
          results[id].error = String(e.message);
          continue;
        }
        // The dump is written by the runtime's process a moment after the command returns.
        let total = NaN;
        for (let waited = 0; Number.isNaN(total) && waited < 10_000; waited += 100) {
          await new Promise((r) => setTimeout(r, 100));
          const fresh = fs.readdirSync(dir).filter((f) => f.startsWith("callgrind.out.") && !seen.has(f));
          for (const f of fresh) {
            const t = dumpTotal(fs.readFileSync(path.join(dir, f), "utf8"));
            if (Number.isNaN(t)) continue;
            seen.add(f);
            total = t;
          }
        }
        results[id].reps.push(total / requests / 1000);
      }
    }
  } finally {
    agent.destroy();
  }
  for (const r of Object.values(results)) if (r.reps.length) r.kIr = Math.min(...r.reps);
  return results;
}

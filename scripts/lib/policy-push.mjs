// `npm run policies -- --push`: writes the validated tenant policies and the host -> tenant map
// to Workers KV (binding POLICY_KV; layout in src/policy-source/layout.ts), through wrangler's
// own `kv key list` / `kv bulk put` / `kv bulk delete`: local (miniflare's state, what `npm start`
// and `wrangler dev` read) by default, the deployed namespace with --remote. Only what changed is
// written: a policy whose content hash differs, a host whose tenant differs; host keys of a pushed
// tenant that no longer claims them are deleted. Plain Node ESM.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The content hash the worker checks and consent records name: SHA-256 of canonicalJson of the compiled policy. */
export function policyContentHash(policy, { compilePolicy, canonicalJson }) {
  return createHash("sha256").update(canonicalJson(compilePolicy(structuredClone(policy)))).digest("hex");
}

/**
 * What a push writes, from the validated `policies` and the namespace's current keys
 * (`current`: wrangler's `kv key list` output, `{ name, metadata }`). Pure.
 * `layout`: { hostKey, policyKey, HOST_PREFIX, POLICY_PREFIX, POLICY_FORMAT } from src/policy-source;
 * `hashOf(policy)`: policyHash's SHA-256 of the compiled policy (policyContentHash).
 */
export function pushPlan({ policies, current, now, layout, hashOf }) {
  const have = new Map(current.map((k) => [k.name, k.metadata ?? null]));
  const folder = new Set(policies.map((p) => p.id));
  const claimed = new Map();
  const puts = [];
  const hostPuts = [];
  const deletes = [];
  const changed = [];
  const unchanged = [];
  const conflicts = [];
  for (const p of policies) {
    const sha = hashOf(p);
    const before = have.get(layout.policyKey(p.id));
    if (before?.sha256 === sha && before?.format === layout.POLICY_FORMAT) unchanged.push(p.id);
    else {
      puts.push({ key: layout.policyKey(p.id), value: JSON.stringify(p), metadata: { format: layout.POLICY_FORMAT, id: p.id, revision: p.revision, sha256: sha, pushedAt: now } });
      changed.push({ id: p.id, sha256: sha, revision: p.revision, before: before ? { revision: before.revision, sha256: before.sha256 } : null });
    }
    for (const host of p.hosts) {
      claimed.set(host, p.id);
      const owner = have.get(layout.hostKey(host))?.tenant;
      if (owner !== undefined && owner !== p.id && !folder.has(owner)) {
        conflicts.push(`${p.id}.json: host "${host}" is claimed in KV by tenant ${owner}, which is not in this folder`);
      }
      if (owner !== p.id) hostPuts.push({ key: layout.hostKey(host), value: p.id, metadata: { tenant: p.id } });
    }
  }
  for (const [name, metadata] of have) {
    if (!name.startsWith(layout.HOST_PREFIX)) continue;
    const host = name.slice(layout.HOST_PREFIX.length);
    if (folder.has(metadata?.tenant) && !claimed.has(host)) deletes.push(name);
  }
  const notInFolder = [...have.keys()].filter((n) => n.startsWith(layout.POLICY_PREFIX) && !folder.has(n.slice(layout.POLICY_PREFIX.length))).map((n) => n.slice(layout.POLICY_PREFIX.length));
  // Policies first, then the hosts that lead to them, then the hosts no tenant claims any more.
  return { puts: [...puts, ...hostPuts], deletes, changed, unchanged, conflicts, notInFolder };
}

/** Runs `npx wrangler kv …` against POLICY_KV; returns stdout, throws with wrangler's message on failure. */
function wranglerKv(args, { remote, persistTo, config }) {
  const where = remote ? ["--remote"] : ["--local", ...(persistTo ? ["--persist-to", persistTo] : [])];
  const full = ["wrangler", "kv", ...args, "--binding", "POLICY_KV", ...where, ...(config ? ["--config", config] : [])];
  const r = spawnSync("npx", full, {
    encoding: "utf8",
    maxBuffer: 1 << 30,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" },
  });
  if (r.status !== 0) throw new Error(`wrangler ${args.slice(0, 2).join(" ")} failed: ${(r.stderr || r.stdout || r.error?.message || "").trim()}`);
  return r.stdout;
}

/** The namespace's keys with their metadata. */
export function listKeys(options) {
  const out = wranglerKv(["key", "list"], options);
  const start = out.indexOf("[");
  return start < 0 ? [] : JSON.parse(out.slice(start));
}

/** Keys per bulk call, and bytes: the API takes at most 10,000 pairs and 100 MB a request. */
const BULK_KEYS = 10_000;
const BULK_BYTES = 32 << 20;

/** `items` in consecutive chunks of at most BULK_KEYS items and about BULK_BYTES of JSON. */
function* chunks(items) {
  let chunk = [];
  let bytes = 0;
  for (const item of items) {
    const size = JSON.stringify(item).length;
    if (chunk.length > 0 && (chunk.length >= BULK_KEYS || bytes + size > BULK_BYTES)) {
      yield chunk;
      chunk = [];
      bytes = 0;
    }
    chunk.push(item);
    bytes += size;
  }
  if (chunk.length > 0) yield chunk;
}

/** Applies a plan: bulk puts (policies before the hosts that lead to them), then bulk deletes. */
export function applyPlan(plan, options) {
  const dir = mkdtempSync(join(tmpdir(), "consent-edge-push-"));
  try {
    let n = 0;
    for (const chunk of chunks(plan.puts)) {
      const file = join(dir, `put-${n++}.json`);
      writeFileSync(file, JSON.stringify(chunk));
      wranglerKv(["bulk", "put", file], options);
    }
    for (const chunk of chunks(plan.deletes)) {
      const file = join(dir, `delete-${n++}.json`);
      writeFileSync(file, JSON.stringify(chunk));
      wranglerKv(["bulk", "delete", file, "--force"], options);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The lines a push prints about what it changed (revisions: a new one asks every visitor again). */
export function describePlan(plan, where) {
  const lines = [];
  for (const c of plan.changed) {
    if (!c.before) lines.push(`policies: + ${c.id} (revision ${c.revision}, sha256 ${c.sha256.slice(0, 12)}…): new in ${where}`);
    else if (c.before.revision !== c.revision) lines.push(`policies: ~ ${c.id}: revision ${c.before.revision} -> ${c.revision} (sha256 ${c.sha256.slice(0, 12)}…): visitors are asked again`);
    else lines.push(`policies: ~ ${c.id}: content changed, revision ${c.revision} kept (sha256 ${c.sha256.slice(0, 12)}…): earlier choices stay valid`);
  }
  if (plan.notInFolder.length) lines.push(`policies: in ${where} but not in this folder (left as they are): ${plan.notInFolder.slice(0, 20).join(", ")}${plan.notInFolder.length > 20 ? ", …" : ""}`);
  lines.push(`policies: pushed to ${where}: ${plan.changed.length} policies changed, ${plan.unchanged.length} unchanged, ${plan.puts.length - plan.changed.length} host keys written, ${plan.deletes.length} deleted`);
  return lines;
}

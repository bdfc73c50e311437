/**
 * The report's platform section, apart from the per-tenant tables: where each tenant's policy
 * comes from (the bundle, Workers KV, or KV over the bundle: src/policy-source/) and the consent
 * records that reached the dead-letter queue (consent_dead_letters: src/store/queue.ts). Read
 * through wrangler, like the rest of the report: local by default, --remote for the deployed ones.
 */
import { spawn } from "node:child_process";
import { readdir } from "node:fs/promises";
import path from "node:path";
import { iso, table } from "./text.mjs";

/** The dead-letter statements, added to the report's one D1 call (named sections). */
export const DEAD_LETTER_QUERIES = {
  deadLetterCounts: "SELECT count(*) AS total, coalesce(sum(stored), 0) AS stored FROM consent_dead_letters",
  deadLetterLatest: "SELECT id, tenant, created_at, dead_at, seen, stored, error FROM consent_dead_letters ORDER BY dead_at DESC, id LIMIT 50",
};

/** `{ total, stored, kept, latest[] }` from the report's sections. */
function deadLetters(sections) {
  const sum = sections.deadLetterCounts?.[0] ?? { total: 0, stored: 0 };
  return { total: sum.total, stored: sum.stored, kept: sum.total - sum.stored, latest: (sections.deadLetterLatest ?? []).map((r) => ({ ...r, stored: r.stored === 1 })) };
}

/** The KV namespace's policy keys with their metadata (`wrangler kv key list`); null when KV cannot be read. */
function kvPolicies(opts, root) {
  const args = ["wrangler", "kv", "key", "list", "--binding", "POLICY_KV", "--prefix", "policy:", opts.remote ? "--remote" : "--local"];
  if (!opts.remote) args.push("--persist-to", opts.persistTo);
  return new Promise((resolve) => {
    const child = spawn("npx", args, { cwd: root, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" } });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.on("error", () => resolve(null));
    child.on("close", (code) => {
      const start = out.indexOf("[");
      try {
        resolve(code === 0 && start >= 0 ? JSON.parse(out.slice(start)) : null);
      } catch {
        resolve(null);
      }
    });
  });
}

/** Every tenant with the source its policy is served from: "bundle", "kv", or "kv over bundle" (KV wins for the hosts it knows). */
export async function policySources(opts, root) {
  const bundled = new Set((await readdir(path.join(root, "policies")).catch(() => [])).filter((n) => n.endsWith(".json") && n !== "policy.schema.json").map((n) => n.slice(0, -5)));
  const kv = await kvPolicies(opts, root);
  const rows = new Map([...bundled].map((id) => [id, { tenant: id, source: "bundle", revision: null, sha256: null, pushed_at: null }]));
  for (const k of kv ?? []) {
    const id = k.name.slice("policy:".length);
    const m = k.metadata ?? {};
    rows.set(id, { tenant: id, source: bundled.has(id) ? "kv over bundle" : "kv", revision: m.revision ?? null, sha256: m.sha256 ?? null, pushed_at: m.pushedAt ?? null });
  }
  if (opts.tenant) for (const id of rows.keys()) if (id !== opts.tenant) rows.delete(id);
  return { kvReadable: kv !== null, tenants: [...rows.values()].sort((a, b) => (a.tenant < b.tenant ? -1 : 1)) };
}

/** The policy sources, and a reader of the dead letters from the report's sections. */
export async function platformSection(opts, root) {
  return { policySources: await policySources(opts, root), deadLetters };
}

/** The section as text, in the report's own tables. */
export function printPlatform(p) {
  const s = p.policySources;
  const counts = ["bundle", "kv", "kv over bundle"].map((k) => `${s.tenants.filter((t) => t.source === k).length} ${k}`).join(", ");
  console.log(`\n== platform\n\nPolicy sources (${counts}${s.kvReadable ? "" : "; KV could not be read, bundle only shown"})`);
  console.log(table([["tenant"], ["source"], ["revision", (v) => v ?? ""], ["sha256", (v) => (v ? `${v.slice(0, 12)}…` : "")], ["pushed_at", (v) => (v ? iso(v) : "")]], s.tenants));
  const d = p.deadLetters;
  console.log(`\nDead-lettered consent records: ${d.total} (${d.stored} stored in consent_records after all, ${d.kept} kept aside with their body)`);
  if (d.total > 0) {
    console.log(table([["dead_at", iso], ["id"], ["tenant", (v) => v ?? ""], ["created_at", (v) => (v ? iso(v) : "")], ["seen"], ["stored", (v) => (v ? "yes" : "no")], ["error", (v) => v ?? ""]], d.latest));
  }
}

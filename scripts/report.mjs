/**
 * `npm run report`: the operator's view of the consent records and the cookie inventory in D1.
 * Reads the local database (miniflare's copy under .wrangler/state, the one `npm start` fills;
 * offline) by default, the deployed one with --remote, through `wrangler d1 execute --json`.
 * Per tenant: unknown cookies, hosts the CSP blocked, choices per consent key per day (counts
 * only) and the latest records; or one record with --record <id>. Plain text, or --json.
 *
 * Exit codes: 0 done, 1 the query failed or the record does not exist, 2 bad arguments or no
 * (migrated) database.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const root = fileURLToPath(new URL("..", import.meta.url));
const RECORD_ID = /^[A-Za-z0-9_-]{22}$/;
const TENANT_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;

const USAGE = `usage: npm run report -- [options]
  --remote            read the deployed database (needs wrangler login) instead of the local one
  --persist-to <dir>  the local state directory (default: .wrangler/state, as npm start / wrangler dev)
  --tenant <id>       one tenant only
  --days <n>          choices per day over the last n days (default 30)
  --limit <n>         latest records shown per tenant (default 20)
  --record <id>       one consent record, by the reference the visitor quotes
  --json              JSON instead of text tables`;

class UsageError extends Error {}

function fail(message, code) {
  console.error(`report: ${message}`);
  process.exit(code);
}

/** Options that take a value: `--record -AbC…` reads the next argument as the value, even with a leading dash (a record id may start with one). */
const VALUED = new Set(["--persist-to", "--tenant", "--days", "--limit", "--record"]);

function readOptions(argv) {
  const args = [];
  for (let i = 0; i < argv.length; i++) args.push(VALUED.has(argv[i]) && i + 1 < argv.length ? `${argv[i]}=${argv[++i]}` : argv[i]);
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: {
        remote: { type: "boolean", default: false },
        "persist-to": { type: "string" },
        tenant: { type: "string" },
        days: { type: "string", default: "30" },
        limit: { type: "string", default: "20" },
        record: { type: "string" },
        json: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (err) {
    throw new UsageError(err.message);
  }
  const o = parsed.values;
  const whole = (name, max) => {
    const n = Number(o[name]);
    if (!Number.isInteger(n) || n < 1 || n > max) throw new UsageError(`--${name} must be a whole number from 1 to ${max}, got ${JSON.stringify(o[name])}`);
    return n;
  };
  if (o.tenant !== undefined && !TENANT_ID.test(o.tenant)) throw new UsageError(`--tenant: not a tenant id: ${JSON.stringify(o.tenant)}`);
  if (o.record !== undefined && !RECORD_ID.test(o.record)) throw new UsageError(`--record: a record id is 22 characters of A-Z a-z 0-9 - _, got ${JSON.stringify(o.record)}`);
  if (o.remote && o["persist-to"]) throw new UsageError("--persist-to is for the local database; drop it with --remote");
  return {
    help: o.help,
    remote: o.remote,
    persistTo: path.resolve(o["persist-to"] ?? path.join(root, ".wrangler", "state")),
    tenant: o.tenant,
    days: whole("days", 3660),
    limit: whole("limit", 10_000),
    record: o.record,
    json: o.json,
  };
}

// ---------------------------------------------------------------- queries
// Values reach the SQL only after the checks above (ids of a fixed alphabet, whole numbers).
const q = (s) => `'${s.replace(/'/g, "''")}'`;

function queries(opts, now) {
  if (opts.record) return { record: `SELECT * FROM consent_records WHERE id = ${q(opts.record)}` };
  const where = (extra) => {
    const conds = [...(opts.tenant ? [`tenant = ${q(opts.tenant)}`] : []), ...extra];
    return conds.length ? ` WHERE ${conds.join(" AND ")}` : "";
  };
  const since = now - opts.days * 86_400_000;
  return {
    unknownCookies: `SELECT tenant, name, source, first_seen, last_seen, count FROM cookie_inventory${where(["service IS NULL", "source IN ('origin', 'visitor')"])} ORDER BY tenant, count DESC, name, source`,
    blockedHosts: `SELECT tenant, name AS host, service, first_seen, last_seen, count FROM cookie_inventory${where(["source = 'csp'"])} ORDER BY tenant, count DESC, host`,
    choicesPerDay:
      `SELECT tenant, date(created_at / 1000, 'unixepoch') AS day, j.key AS consent_key, ` +
      `sum(CASE WHEN j.value = 1 THEN 1 ELSE 0 END) AS granted, sum(CASE WHEN j.value = 1 THEN 0 ELSE 1 END) AS refused ` +
      `FROM consent_records, json_each(consent_records.choices) AS j${where([`created_at >= ${since}`])} ` +
      `GROUP BY tenant, day, consent_key ORDER BY tenant, day DESC, consent_key`,
    latestRecords:
      `SELECT tenant, id, created_at, kind, action, place, via, lang, browser, revision FROM (` +
      `SELECT *, row_number() OVER (PARTITION BY tenant ORDER BY created_at DESC, id) AS n FROM consent_records${where([])}` +
      `) WHERE n <= ${opts.limit} ORDER BY tenant, created_at DESC, id`,
  };
}

function runWrangler(opts, sql) {
  const args = ["wrangler", "d1", "execute", "DB", opts.remote ? "--remote" : "--local", "--json", "--command", sql];
  if (!opts.remote) args.push("--persist-to", opts.persistTo);
  const result = spawnSync("npx", args, {
    cwd: root,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    maxBuffer: 256 * 1024 * 1024,
    // Locally nothing may prompt; remotely wrangler's own login (or CLOUDFLARE_API_TOKEN) applies as usual.
    env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false", NO_COLOR: "1", ...(opts.remote ? {} : { CI: "true" }) },
  });
  if (result.error) fail(`could not run wrangler: ${result.error.message}`, 1);
  let out;
  try {
    out = JSON.parse(result.stdout);
  } catch {
    out = undefined;
  }
  if (result.status === 0 && Array.isArray(out)) return out.map((r) => r.results ?? []);
  const text = out?.error?.text ?? out?.error?.message ?? `${result.stdout}\n${result.stderr}`.trim().split("\n").slice(-8).join("\n");
  if (/no such table: (consent_records|cookie_inventory)/.test(text)) {
    const where = opts.remote ? "--remote" : `--local${opts.persistTo === path.join(root, ".wrangler", "state") ? "" : ` --persist-to ${opts.persistTo}`}`;
    fail(`the ${opts.remote ? "deployed" : "local"} database is not migrated (${text}). Run: npx wrangler d1 migrations apply DB ${where}`, 2);
  }
  fail(`wrangler d1 execute failed: ${text}`, 1);
}

// ---------------------------------------------------------------- output
// Names come from visitors and origins: control characters (a terminal escape in a cookie name)
// are shown as \xNN, never sent to the operator's terminal.
// eslint-disable-next-line no-control-regex
const printable = (text) => text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
const iso = (ms) => (Number.isFinite(ms) ? new Date(ms).toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z") : "");

function table(columns, rows) {
  if (rows.length === 0) return "  (none)";
  const cells = rows.map((r) => columns.map(([key, fmt]) => printable(String(fmt ? fmt(r[key]) : (r[key] ?? "")))));
  const widths = columns.map(([key], i) => Math.max(key.length, ...cells.map((c) => c[i].length)));
  const line = (vals) => `  ${vals.map((v, i) => v.padEnd(widths[i])).join("  ")}`.trimEnd();
  return [line(columns.map(([key]) => key)), line(widths.map((w) => "-".repeat(w))), ...cells.map(line)].join("\n");
}

function byTenant(sections) {
  const tenants = {};
  for (const [section, rows] of Object.entries(sections)) {
    for (const { tenant, ...rest } of rows) {
      tenants[tenant] ??= { unknownCookies: [], blockedHosts: [], choicesPerDay: [], latestRecords: [] };
      tenants[tenant][section].push(rest);
    }
  }
  return Object.fromEntries(Object.keys(tenants).sort().map((t) => [t, tenants[t]]));
}

function recordOut(row) {
  return {
    ...row,
    created: iso(row.created_at),
    choices: JSON.parse(row.choices),
    withdrawn: JSON.parse(row.withdrawn),
  };
}

function printRecord(r) {
  const fields = [
    ["reference", r.id],
    ["tenant", r.tenant],
    ["time (server)", r.created],
    ["kind", r.kind],
    ["action", r.action],
    ["policy revision", r.revision],
    ["policy sha-256", r.policy_sha256],
    ["made on", `${r.place} (${r.via})`],
    ["language", r.lang],
    ["browser", r.browser],
  ];
  const w = Math.max(...fields.map(([k]) => k.length));
  console.log(fields.map(([k, v]) => `${k.padEnd(w)}  ${printable(String(v))}`).join("\n"));
  console.log(`${"choices".padEnd(w)}  ${Object.entries(r.choices).map(([k, v]) => `${k}=${v ? "granted" : "refused"}`).join(", ")}`);
  if (r.withdrawn.length) console.log(`${"withdrawn".padEnd(w)}  ${r.withdrawn.join(", ")}`);
}

function printTenants(tenants, opts, source) {
  const names = Object.keys(tenants);
  console.log(`consent-edge report: ${source}${opts.tenant ? `, tenant ${opts.tenant}` : ""}; times in UTC`);
  if (names.length === 0) console.log("\nNo records and no inventory yet.");
  for (const name of names) {
    const t = tenants[name];
    console.log(`\n== ${name}`);
    console.log(`\nUnknown cookies (not in the policy)\n${table([["name"], ["source"], ["first_seen", iso], ["last_seen", iso], ["count"]], t.unknownCookies)}`);
    if (t.blockedHosts.length) console.log(`\nHosts blocked by the CSP\n${table([["host"], ["service", (s) => s ?? "unknown"], ["first_seen", iso], ["last_seen", iso], ["count"]], t.blockedHosts)}`);
    console.log(`\nChoices per consent key per day (last ${opts.days} days)\n${table([["day"], ["consent_key"], ["granted"], ["refused"]], t.choicesPerDay)}`);
    console.log(`\nLatest records (at most ${opts.limit})\n${table([["created_at", iso], ["id"], ["kind"], ["action"], ["place"], ["via"], ["lang"], ["browser"], ["revision"]], t.latestRecords)}`);
  }
}

// ---------------------------------------------------------------- main
let opts;
try {
  opts = readOptions(process.argv.slice(2));
} catch (err) {
  if (!(err instanceof UsageError)) throw err;
  fail(`${err.message}\n${USAGE}`, 2);
}
if (opts.help) {
  console.log(USAGE);
  process.exit(0);
}
if (!opts.remote && !existsSync(path.join(opts.persistTo, "v3", "d1"))) {
  fail(
    `no local D1 database in ${opts.persistTo}. \`npm start\` creates and migrates it (so does ` +
      `\`npx wrangler d1 migrations apply DB --local\`); use --persist-to for another state directory, --remote for the deployed one.`,
    2,
  );
}
const source = opts.remote ? "deployed database (--remote)" : `local database (${path.relative(root, opts.persistTo) || "."})`;
const plan = queries(opts, Date.now());
const names = Object.keys(plan);
const results = runWrangler(opts, Object.values(plan).join(";\n"));
const sections = Object.fromEntries(names.map((n, i) => [n, results[i] ?? []]));

if (opts.record) {
  const row = sections.record[0];
  if (!row) {
    if (opts.json) console.log(JSON.stringify({ database: opts.remote ? "remote" : "local", record: null }, null, 2));
    fail(`no record ${opts.record} in the ${opts.remote ? "deployed" : "local"} database (deleted after the retention period, or never written)`, 1);
  }
  const r = recordOut(row);
  if (opts.json) console.log(JSON.stringify({ database: opts.remote ? "remote" : "local", record: r }, null, 2));
  else printRecord(r);
} else {
  const tenants = byTenant(sections);
  if (opts.json) console.log(JSON.stringify({ database: opts.remote ? "remote" : "local", days: opts.days, tenants }, null, 2));
  else printTenants(tenants, opts, source);
}

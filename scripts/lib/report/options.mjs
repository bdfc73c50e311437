/**
 * `npm run report`'s command line: parsed and checked into one options object, or a UsageError
 * (exit 2). Values that reach SQL are checked here (ids of a fixed alphabet, whole numbers).
 */
import path from "node:path";
import { parseArgs } from "node:util";

export const RECORD_ID = /^[A-Za-z0-9_-]{22}$/;
export const TENANT_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;
export const CSV_TABLES = ["records", "inventory"];

export const USAGE = `usage: npm run report -- [options]
  --remote            read the deployed database (needs wrangler login) instead of the local one
  --persist-to <dir>  the local state directory (default: .wrangler/state, as npm start / wrangler dev)
  --tenant <id>       one tenant only
  --days <n>          choices per day over the last n days (default 30)
  --limit <n>         latest records shown per tenant (default 20)
  --record <id>       one consent record, by the reference the visitor quotes
  --json              JSON instead of text tables
  --html <file>       one self-contained HTML page with charts (no network resources), written to <file>
  --csv <table>       records or inventory as CSV (RFC 4180, UTC ISO times) on stdout, read page by page
  --page-size <n>     rows per query for --csv (default 10000)
  --suggest <tenant>  a policy fragment for the tenant's unknown cookies, classified by the Open Cookie Database`;

export class UsageError extends Error {}

/** Options that take a value: `--record -AbC…` reads the next argument as the value, even with a leading dash (a record id may start with one). */
const VALUED = new Set(["--persist-to", "--tenant", "--days", "--limit", "--record", "--html", "--csv", "--page-size", "--suggest"]);

/** The options of `argv` (without node and the script); `root` is the project folder. */
export function readOptions(argv, root) {
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
        html: { type: "string" },
        csv: { type: "string" },
        "page-size": { type: "string", default: "10000" },
        suggest: { type: "string" },
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
  if (o.suggest !== undefined && !TENANT_ID.test(o.suggest)) throw new UsageError(`--suggest: not a tenant id: ${JSON.stringify(o.suggest)}`);
  if (o.suggest !== undefined && o.tenant !== undefined && o.suggest !== o.tenant) throw new UsageError(`--suggest ${o.suggest} and --tenant ${o.tenant} name two tenants`);
  if (o.record !== undefined && !RECORD_ID.test(o.record)) throw new UsageError(`--record: a record id is 22 characters of A-Z a-z 0-9 - _, got ${JSON.stringify(o.record)}`);
  if (o.csv !== undefined && !CSV_TABLES.includes(o.csv)) throw new UsageError(`--csv: one of ${CSV_TABLES.join(", ")}, got ${JSON.stringify(o.csv)}`);
  if (o.html !== undefined && o.html.trim() === "") throw new UsageError("--html needs a file name");
  if (o.remote && o["persist-to"]) throw new UsageError("--persist-to is for the local database; drop it with --remote");
  const outputs = ["record", "json", "html", "csv", "suggest"].filter((k) => o[k] !== undefined && o[k] !== false);
  if (outputs.length > 1) throw new UsageError(`choose one of --${outputs.join(", --")}`);
  return {
    help: o.help,
    remote: o.remote,
    persistTo: path.resolve(o["persist-to"] ?? path.join(root, ".wrangler", "state")),
    tenant: o.suggest ?? o.tenant,
    days: whole("days", 3660),
    limit: whole("limit", 10_000),
    pageSize: whole("page-size", 100_000),
    record: o.record,
    json: o.json,
    html: o.html === undefined ? undefined : path.resolve(o.html),
    csv: o.csv,
    suggest: o.suggest,
  };
}

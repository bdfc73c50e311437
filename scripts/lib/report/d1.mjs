/**
 * The report's only way to the database: `wrangler d1 execute DB --json` on the local copy
 * (miniflare's state, offline) or the deployed one (--remote). Statements in one call come back
 * as one result list each; `pagedRows` reads a long table page by page (keyset pagination), so
 * that no more than one page is ever held in memory.
 */
import { spawn } from "node:child_process";
import path from "node:path";

/** A failure the operator can act on; `code` is the exit code (1 query failed, 2 no usable database). */
export class ReportError extends Error {
  constructor(message, code) {
    super(message);
    this.code = code;
  }
}

/** An SQL string literal. Only for values checked by options.mjs or read back from the database. */
export const sqlString = (s) => `'${String(s).replace(/'/g, "''")}'`;

/** The result rows of each statement of `sql` (statements separated by ";\n"). */
export async function d1Query(opts, root, sql) {
  const args = ["wrangler", "d1", "execute", "DB", opts.remote ? "--remote" : "--local", "--json", "--command", sql];
  if (!opts.remote) args.push("--persist-to", opts.persistTo);
  const { status, stdout, stderr, error } = await new Promise((resolve) => {
    const child = spawn("npx", args, {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
      // Locally nothing may prompt; remotely wrangler's own login (or CLOUDFLARE_API_TOKEN) applies as usual.
      env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false", NO_COLOR: "1", ...(opts.remote ? {} : { CI: "true" }) },
    });
    const out = [];
    const err = [];
    child.stdout.on("data", (d) => out.push(d));
    child.stderr.on("data", (d) => err.push(d));
    child.on("error", (e) => resolve({ error: e }));
    child.on("close", (code) => resolve({ status: code, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") }));
  });
  if (error) throw new ReportError(`could not run wrangler: ${error.message}`, 1);
  let out;
  try {
    out = JSON.parse(stdout);
  } catch {
    out = undefined;
  }
  if (status === 0 && Array.isArray(out)) return out.map((r) => r.results ?? []);
  const text = out?.error?.text ?? out?.error?.message ?? `${stdout}\n${stderr}`.trim().split("\n").slice(-8).join("\n");
  if (/no such table: (consent_records|cookie_inventory|consent_dead_letters)/.test(text)) {
    const where = opts.remote ? "--remote" : `--local${opts.persistTo === path.join(root, ".wrangler", "state") ? "" : ` --persist-to ${opts.persistTo}`}`;
    throw new ReportError(`the ${opts.remote ? "deployed" : "local"} database is not migrated (${text}). Run: npx wrangler d1 migrations apply DB ${where}`, 2);
  }
  throw new ReportError(`wrangler d1 execute failed: ${text}`, 1);
}

/**
 * Yields the rows of a long query one page at a time: `pageSql(last, limit)` is the query of the
 * page after row `last` (undefined for the first page), ordered by a unique key, with LIMIT `limit`.
 */
export async function* pagedRows(opts, root, pageSql) {
  let last;
  for (;;) {
    const [rows] = await d1Query(opts, root, pageSql(last, opts.pageSize));
    if (rows.length > 0) yield rows;
    if (rows.length < opts.pageSize) return;
    last = rows[rows.length - 1];
  }
}

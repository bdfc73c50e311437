/**
 * `npm run report`: the operator's view of the consent records and the cookie inventory in D1.
 * Reads the local database (miniflare's copy under .wrangler/state, the one `npm start` fills;
 * offline) by default, the deployed one with --remote, through `wrangler d1 execute --json`.
 * Per tenant: unknown cookies (classified by the vendored Open Cookie Database), hosts the CSP
 * blocked, choices per consent key per day with opt-in rates, choices per day by action, place,
 * language and browser, and the latest records; or one record with --record <id>. Plain text,
 * --json, --html FILE (charts), --csv records|inventory (streamed), --suggest TENANT (a policy
 * fragment). One module per output under scripts/lib/report/; docs/report.md describes them.
 *
 * Exit codes: 0 done, 1 the query failed or the record does not exist, 2 bad arguments or no
 * (migrated) database.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadCatalogue } from "./lib/cookie-catalogue.mjs";
import { byTenant, summaryQueries } from "./lib/report/data.mjs";
import { d1Query, ReportError, sqlString } from "./lib/report/d1.mjs";
import { readOptions, UsageError, USAGE } from "./lib/report/options.mjs";
import { printRecord, printTenants, recordOut } from "./lib/report/text.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));

function fail(message, code) {
  console.error(`report: ${message}`);
  process.exit(code);
}

async function main() {
  let opts;
  try {
    opts = readOptions(process.argv.slice(2), root);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    fail(`${err.message}\n${USAGE}`, 2);
  }
  if (opts.help) {
    console.log(USAGE);
    return;
  }
  if (!opts.remote && !existsSync(path.join(opts.persistTo, "v3", "d1"))) {
    fail(
      `no local D1 database in ${opts.persistTo}. \`npm start\` creates and migrates it (so does ` +
        `\`npx wrangler d1 migrations apply DB --local\`); use --persist-to for another state directory, --remote for the deployed one.`,
      2,
    );
  }
  const database = opts.remote ? "remote" : "local";
  const source = opts.remote ? "deployed database (--remote)" : `local database (${path.relative(root, opts.persistTo) || "."})`;

  if (opts.csv) {
    process.stdout.on("error", () => {}); // EPIPE comes back through writeCsv's pipeline
    const { writeCsv } = await import("./lib/report/csv.mjs");
    await writeCsv(opts, root, process.stdout);
    return;
  }
  if (opts.suggest) {
    const { suggestFragment } = await import("./lib/report/suggest.mjs");
    const { fragment, notes } = await suggestFragment(opts, root, loadCatalogue());
    for (const note of notes) console.error(`report: ${note}`);
    console.log(JSON.stringify(fragment, null, 2));
    return;
  }
  if (opts.record) {
    const [[row]] = await d1Query(opts, root, `SELECT * FROM consent_records WHERE id = ${sqlString(opts.record)}`);
    if (!row) {
      if (opts.json) console.log(JSON.stringify({ database, record: null }, null, 2));
      fail(`no record ${opts.record} in the ${opts.remote ? "deployed" : "local"} database (deleted after the retention period, or never written)`, 1);
    }
    const r = recordOut(row);
    if (opts.json) console.log(JSON.stringify({ database, record: r }, null, 2));
    else printRecord(r);
    return;
  }

  const now = Date.now();
  // Where policies come from (bundle, KV) and the dead-lettered records (lib/report/platform.mjs):
  // the dead letters ride in the same D1 call, the KV listing runs beside it.
  const { DEAD_LETTER_QUERIES, platformSection, printPlatform } = await import("./lib/report/platform.mjs");
  const plan = summaryQueries(opts, now);
  const names = [...Object.keys(plan), ...Object.keys(DEAD_LETTER_QUERIES)];
  const sql = [...Object.values(plan), ...Object.values(DEAD_LETTER_QUERIES)].join(";\n");
  const [results, sources] = await Promise.all([d1Query(opts, root, sql), platformSection(opts, root)]);
  const all = Object.fromEntries(names.map((n, i) => [n, results[i] ?? []]));
  const tenants = byTenant(Object.fromEntries(Object.keys(plan).map((n) => [n, all[n]])), loadCatalogue());
  const platform = { policySources: sources.policySources, deadLetters: sources.deadLetters(all) };
  if (opts.html) {
    const { writeHtmlReport } = await import("./lib/report/html.mjs");
    await writeHtmlReport(opts.html, { tenants, opts, source, now, platform });
    console.error(`report: wrote ${path.relative(process.cwd(), opts.html) || opts.html}`);
  } else if (opts.json) console.log(JSON.stringify({ database, days: opts.days, tenants, platform }, null, 2));
  else {
    printTenants(tenants, opts, source);
    printPlatform(platform);
  }
}

main().catch((err) => {
  if (err instanceof ReportError) fail(err.message, err.code);
  // The reader went away (`… --csv records | head`): nothing left to say.
  if (err?.code === "EPIPE") process.exit(0);
  throw err;
});

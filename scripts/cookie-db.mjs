#!/usr/bin/env node
/**
 * `npm run cookie-db -- FILE [--source TEXT]`: refreshes the vendored Open Cookie Database
 * (scripts/data/open-cookie-database/) from a newer open-cookie-database.csv. The file is parsed
 * with the catalogue's own parser (csv-parse) and refused on any error (wrong header, a row
 * without a name, a bad wildcard flag) or when it holds fewer than half the entries of the copy
 * it replaces (a truncated download); then copied byte for byte, and SOURCE.md rewritten with
 * the count, the checksum and --source (where it came from, e.g. the upstream commit).
 * Exit codes: 0 refreshed (or unchanged), 1 the file was refused, 2 bad arguments.
 */
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { CATALOGUE_COLUMNS, CATALOGUE_CSV, parseCatalogueCsv } from "./lib/cookie-catalogue.mjs";

const fail = (message, code) => {
  console.error(`cookie-db: ${message}`);
  process.exit(code);
};

let args;
try {
  args = parseArgs({ options: { source: { type: "string" }, target: { type: "string" } }, allowPositionals: true, strict: true });
} catch (err) {
  fail(`${err.message}\nusage: npm run cookie-db -- path/to/open-cookie-database.csv [--source "commit … (date)"]`, 2);
}
if (args.positionals.length !== 1) fail('usage: npm run cookie-db -- path/to/open-cookie-database.csv [--source "commit … (date)"]', 2);
// --target: another copy of the vendored folder (the tests' scratch copy).
const target = args.values.target ? path.resolve(args.values.target, "open-cookie-database.csv") : CATALOGUE_CSV;
const dir = path.dirname(target);

const bytes = readFileSync(path.resolve(args.positionals[0]));
let entries;
try {
  entries = parseCatalogueCsv(bytes.toString("utf8"));
} catch (err) {
  fail(`${args.positionals[0]}: ${err.message}`, 1);
}
let previous = 0;
try {
  previous = parseCatalogueCsv(readFileSync(target, "utf8")).length;
} catch {
  previous = 0;
}
if (entries.length < previous / 2) fail(`${args.positionals[0]}: ${entries.length} entries, fewer than half of the ${previous} vendored now: refused (truncated?)`, 1);

const sha256 = createHash("sha256").update(bytes).digest("hex");
const wildcards = entries.filter((e) => e.wildcard).length;
writeFileSync(target, bytes);
writeFileSync(
  path.join(dir, "SOURCE.md"),
  `# Open Cookie Database snapshot

- Source: ${args.values.source ?? "the public repository jkwakman/Open-Cookie-Database"}; refreshed ${new Date().toISOString().slice(0, 10)}.
- File: open-cookie-database.csv, ${entries.length} entries (${wildcards} wildcard prefixes), sha256 ${sha256}.
- Licence: Apache License 2.0 (LICENSE); NOTICE says how consent-edge uses it.
- Columns: ${CATALOGUE_COLUMNS.join(", ")} (Wildcard match 1: the name is a prefix, e.g. \`_gac_\`).
- Refresh: \`npm run cookie-db -- path/to/open-cookie-database.csv [--source "commit … (date)"]\` (scripts/cookie-db.mjs) checks the new file and rewrites this one.
`,
);
console.log(`cookie-db: ${entries.length} entries (${previous} before), sha256 ${sha256}`);

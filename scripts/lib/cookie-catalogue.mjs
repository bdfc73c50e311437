/**
 * The Open Cookie Database (scripts/data/open-cookie-database/, Apache-2.0) as a lookup: which
 * platform sets a cookie name, in which of the database's categories, for how long. For the
 * operator's report and its policy suggestions only; never imported by the worker (its bundle is
 * checked for it). Parsing reads the CSV with csv-parse; `createCatalogue` is pure.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse } from "csv-parse/sync";

/** The vendored snapshot. */
export const CATALOGUE_CSV = fileURLToPath(new URL("../data/open-cookie-database/open-cookie-database.csv", import.meta.url));

/** The database's header line, in order (its README and SOURCE.md describe them). */
export const CATALOGUE_COLUMNS = [
  "ID",
  "Platform",
  "Category",
  "Cookie / Data Key name",
  "Domain",
  "Description",
  "Retention period",
  "Data Controller",
  "User Privacy & GDPR Rights Portals",
  "Wildcard match",
];

/**
 * Rows of the CSV text as entries; throws an Error naming the line on a header that is not the
 * database's, a row without a name, or a "Wildcard match" other than 0 or 1. A row without a
 * platform (a few have none) takes its data controller's name, else "(unnamed)".
 */
export function parseCatalogueCsv(text) {
  const records = parse(text, { bom: true, relax_column_count: false, skip_empty_lines: true, info: true });
  if (records.length === 0) throw new Error("the CSV is empty");
  const header = records[0].record.map((h) => h.trim());
  if (header.join("\u0000") !== CATALOGUE_COLUMNS.join("\u0000")) {
    throw new Error(`line 1: the header is not the Open Cookie Database's (expected ${CATALOGUE_COLUMNS.join(", ")}; got ${header.join(", ")})`);
  }
  return records.slice(1).map(({ record: r, info }) => {
    const at = `line ${info.lines}`;
    const [id, platform, category, name, domain, description, retention, controller, privacyUrl, wildcard] = r.map((v) => v.trim());
    if (!name) throw new Error(`${at}: no cookie name`);
    if (wildcard !== "0" && wildcard !== "1") throw new Error(`${at}: "Wildcard match" must be 0 or 1, got ${JSON.stringify(wildcard)}`);
    return { id, platform: platform || controller || "(unnamed)", category, name, domain, description, retention, controller, privacyUrl, wildcard: wildcard === "1" };
  });
}

/**
 * A lookup over entries: `classify(name)` gives the entry of the exact name (case-sensitive, as
 * browsers compare names; the first of duplicates), else of the longest wildcard prefix the name
 * starts with, with `match` "exact" or "prefix"; undefined when the database does not know it.
 */
export function createCatalogue(entries) {
  const exact = new Map();
  const prefixes = [];
  // The strictest category each platform's entries have (case-insensitive platform names):
  // Hotjar files `_hjSessionUser_` as Functional but `_hjid` as Analytics.
  const strictest = new Map();
  for (const e of entries) {
    const key = e.platform.toLowerCase();
    const seen = strictest.get(key);
    if (seen === undefined || categoryRank(e.category) > categoryRank(seen)) strictest.set(key, e.category);
  }
  for (const e of entries.map((x) => ({ ...x, platformCategory: strictest.get(x.platform.toLowerCase()) }))) {
    if (e.wildcard) prefixes.push(e);
    else if (!exact.has(e.name)) exact.set(e.name, e);
  }
  // Longest first, so `_pk_id.` wins over `_pk_id` and `_gac_gb_` over `_gac_`; stable for equal lengths.
  prefixes.sort((a, b) => b.name.length - a.name.length);
  return {
    size: entries.length,
    classify(name) {
      const hit = exact.get(name);
      if (hit) return { ...hit, match: "exact" };
      for (const e of prefixes) if (name.startsWith(e.name)) return { ...e, match: "prefix" };
      return undefined;
    },
  };
}

/** How strict a category of the database is, for "the strictest": Marketing, Analytics, Personalization, then the rest. */
export function categoryRank(category) {
  return { Marketing: 4, Analytics: 3, Personalization: 2 }[category] ?? 1;
}

let vendored;

/** The catalogue of the vendored CSV (or of `file`), parsed once per process for the default file. */
export function loadCatalogue(file = CATALOGUE_CSV) {
  if (file !== CATALOGUE_CSV) return createCatalogue(parseCatalogueCsv(readFileSync(file, "utf8")));
  vendored ??= createCatalogue(parseCatalogueCsv(readFileSync(file, "utf8")));
  return vendored;
}

/**
 * What the report shows for a name: `{ platform, category, platformCategory, retention, description,
 * match, pattern }` (platformCategory: the strictest category of the platform's entries), or null when unknown.
 */
export function classificationOf(catalogue, name) {
  const e = catalogue.classify(name);
  if (!e) return null;
  return { platform: e.platform, category: e.category, platformCategory: e.platformCategory, retention: e.retention, description: e.description, match: e.match, pattern: e.name };
}

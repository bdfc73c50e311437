/**
 * --csv records | inventory: a table for auditors as CSV (RFC 4180: CRLF line ends, fields
 * quoted when they hold a comma, quote or line break; via csv-stringify), a header line, times
 * as UTC ISO 8601. Read page by page (keyset pagination on the table's unique order) and written
 * as it comes, so a year of records never has to fit in memory. All rows kept (--tenant filters;
 * --days does not apply: the retention job bounds what is kept).
 */
import { once } from "node:events";
import { pipeline } from "node:stream/promises";
import { stringify } from "csv-stringify";
import { classificationOf, loadCatalogue } from "../cookie-catalogue.mjs";
import { pagedRows, sqlString as q } from "./d1.mjs";

const isoTime = (ms) => (Number.isFinite(ms) ? new Date(ms).toISOString() : "");

/** Per table: its columns, the query of the page after `last`, and a row's CSV record. */
export const CSV_EXPORTS = {
  records: {
    columns: ["id", "tenant", "created_at", "kind", "action", "revision", "policy_sha256", "choices", "withdrawn", "place", "via", "lang", "browser"],
    pageSql: (opts) => (last, limit) => {
      const conds = [...(opts.tenant ? [`tenant = ${q(opts.tenant)}`] : []), ...(last ? [`(created_at, id) > (${Number(last.created_at)}, ${q(last.id)})`] : [])];
      return `SELECT * FROM consent_records${conds.length ? ` WHERE ${conds.join(" AND ")}` : ""} ORDER BY created_at, id LIMIT ${limit}`;
    },
    record: (r) => ({ ...r, created_at: isoTime(r.created_at) }),
  },
  inventory: {
    columns: ["tenant", "source", "name", "service", "first_seen", "last_seen", "count", "ocd_platform", "ocd_category", "ocd_platform_category", "ocd_match"],
    pageSql: (opts) => (last, limit) => {
      const conds = [...(opts.tenant ? [`tenant = ${q(opts.tenant)}`] : []), ...(last ? [`(tenant, source, name) > (${q(last.tenant)}, ${q(last.source)}, ${q(last.name)})`] : [])];
      return `SELECT tenant, source, name, service, first_seen, last_seen, count FROM cookie_inventory${conds.length ? ` WHERE ${conds.join(" AND ")}` : ""} ORDER BY tenant, source, name LIMIT ${limit}`;
    },
    record: (r, catalogue) => {
      // Blocked hosts (source csp) are not cookie names: no classification.
      const c = r.service === null && r.source !== "csp" ? classificationOf(catalogue, r.name) : null;
      return {
        ...r,
        first_seen: isoTime(r.first_seen),
        last_seen: isoTime(r.last_seen),
        ocd_platform: c?.platform ?? "",
        ocd_category: c?.category ?? "",
        ocd_platform_category: c?.platformCategory ?? "",
        ocd_match: c ? (c.match === "exact" ? "name" : `prefix ${c.pattern}`) : "",
      };
    },
  },
};

/** Writes the table `opts.csv` to `out`, one page of `opts.pageSize` rows in memory at a time. */
export async function writeCsv(opts, root, out) {
  const spec = CSV_EXPORTS[opts.csv];
  const catalogue = opts.csv === "inventory" ? loadCatalogue() : undefined;
  // csv-stringify quotes a field holding the record delimiter (CRLF) but not a bare CR or LF,
  // which other readers take for a line end: quote those too.
  const csv = stringify({ header: true, columns: spec.columns, record_delimiter: "windows", quoted_match: /[\r\n]/ });
  const done = pipeline(csv, out, { end: out !== process.stdout });
  try {
    for await (const page of pagedRows(opts, root, spec.pageSql(opts))) {
      for (const row of page) if (!csv.write(spec.record(row, catalogue))) await once(csv, "drain");
    }
  } finally {
    csv.end();
    await done;
  }
}

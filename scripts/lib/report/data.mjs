/**
 * What the summary report (text, JSON, HTML) reads, and how its rows become per-tenant
 * sections: the SQL of each section, then pure functions over the rows (grouping by tenant,
 * the Open Cookie Database's classification of unknown names, rates and per-day breakdowns).
 * A new section is one query here and one renderer per output format.
 */
import { sqlString as q } from "./d1.mjs";
import { classificationOf } from "../cookie-catalogue.mjs";

export const DAY_MS = 86_400_000;
/** The choice buckets per day: a withdrawal counts as "withdraw" whatever its button, every other record by its action. */
export const ACTIONS = ["accept", "refuse", "save", "withdraw"];
/** The dimensions of the per-day breakdown: the column (or expression) of consent_records each reads. */
export const BREAKDOWNS = {
  action: "CASE WHEN kind = 'withdrawal' THEN 'withdraw' ELSE action END",
  made: "place || ' / ' || via",
  lang: "lang",
  browser: "browser",
};

/** The first day (UTC, YYYY-MM-DD) of a `days`-day window ending today. */
export function windowStart(now, days) {
  return new Date(Math.floor(now / DAY_MS) * DAY_MS - (days - 1) * DAY_MS).toISOString().slice(0, 10);
}

/** The section queries of the summary report, by section name. */
export function summaryQueries(opts, now) {
  const where = (extra) => {
    const conds = [...(opts.tenant ? [`tenant = ${q(opts.tenant)}`] : []), ...extra];
    return conds.length ? ` WHERE ${conds.join(" AND ")}` : "";
  };
  // Whole UTC days: the window starts at midnight `days - 1` days ago.
  const since = Date.parse(`${windowStart(now, opts.days)}T00:00:00Z`);
  const day = "date(created_at / 1000, 'unixepoch')";
  return {
    unknownCookies: `SELECT tenant, name, source, first_seen, last_seen, count FROM cookie_inventory${where(["service IS NULL", "source IN ('origin', 'visitor')"])} ORDER BY tenant, count DESC, name, source`,
    blockedHosts: `SELECT tenant, name AS host, service, first_seen, last_seen, count FROM cookie_inventory${where(["source = 'csp'"])} ORDER BY tenant, count DESC, host`,
    choicesPerDay:
      `SELECT tenant, ${day} AS day, j.key AS consent_key, ` +
      `sum(CASE WHEN j.value = 1 THEN 1 ELSE 0 END) AS granted, sum(CASE WHEN j.value = 1 THEN 0 ELSE 1 END) AS refused ` +
      `FROM consent_records, json_each(consent_records.choices) AS j${where([`created_at >= ${since}`])} ` +
      `GROUP BY tenant, day, consent_key ORDER BY tenant, day DESC, consent_key`,
    choiceBreakdown:
      `SELECT tenant, ${day} AS day, ${Object.entries(BREAKDOWNS).map(([k, e]) => `${e} AS ${k}`).join(", ")}, count(*) AS count ` +
      `FROM consent_records${where([`created_at >= ${since}`])} GROUP BY tenant, day, ${Object.keys(BREAKDOWNS).join(", ")} ORDER BY tenant, day DESC`,
    latestRecords:
      `SELECT tenant, id, created_at, kind, action, place, via, lang, browser, revision FROM (` +
      `SELECT *, row_number() OVER (PARTITION BY tenant ORDER BY created_at DESC, id) AS n FROM consent_records${where([])}` +
      `) WHERE n <= ${opts.limit} ORDER BY tenant, created_at DESC, id`,
  };
}

/** Opt-in rate: granted / all, or null without choices. */
export const rate = (granted, refused) => (granted + refused > 0 ? granted / (granted + refused) : null);

/**
 * Rows of a breakdown dimension summed per day and value: `[{ day, value, count }]`, days
 * descending, values in `order` first (then by name).
 */
export function breakdownPerDay(rows, dimension, order = []) {
  const sums = new Map();
  for (const r of rows) {
    const key = `${r.day}\u0000${r[dimension]}`;
    sums.set(key, (sums.get(key) ?? 0) + r.count);
  }
  const rank = (v) => (order.includes(v) ? order.indexOf(v) : order.length);
  return [...sums]
    .map(([k, count]) => {
      const [day, value] = k.split("\u0000");
      return { day, value, count };
    })
    .sort((a, b) => (a.day < b.day ? 1 : a.day > b.day ? -1 : rank(a.value) - rank(b.value) || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0)));
}

/** A dimension's totals over the window: `[{ value, count }]`, largest first. */
export function breakdownTotals(perDay) {
  const sums = new Map();
  for (const r of perDay) sums.set(r.value, (sums.get(r.value) ?? 0) + r.count);
  return [...sums].map(([value, count]) => ({ value, count })).sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : 1));
}

/**
 * The sections' rows grouped per tenant (tenants sorted), each unknown cookie with its
 * classification (null when the catalogue does not know it), each choice row with its rate, and
 * the breakdown rows as per-day sums per dimension.
 */
export function byTenant(sections, catalogue) {
  const tenants = {};
  const empty = () => ({ unknownCookies: [], blockedHosts: [], choicesPerDay: [], breakdown: [], latestRecords: [] });
  for (const [section, rows] of Object.entries(sections)) {
    for (const { tenant, ...rest } of rows) {
      tenants[tenant] ??= empty();
      const list = section === "choiceBreakdown" ? tenants[tenant].breakdown : tenants[tenant][section];
      if (section === "unknownCookies") list.push({ ...rest, classification: classificationOf(catalogue, rest.name) });
      else if (section === "choicesPerDay") list.push({ ...rest, rate: rate(rest.granted, rest.refused) });
      else list.push(rest);
    }
  }
  return Object.fromEntries(
    Object.keys(tenants)
      .sort()
      .map((t) => {
        const { breakdown, ...rest } = tenants[t];
        const perDay = Object.fromEntries(Object.keys(BREAKDOWNS).map((d) => [d, breakdownPerDay(breakdown, d, d === "action" ? ACTIONS : [])]));
        return [t, { ...rest, choicesByDay: perDay }];
      }),
  );
}

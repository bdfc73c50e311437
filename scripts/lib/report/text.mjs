/** The report as plain text tables (the default output), and one record for --record. */
import { ACTIONS, breakdownTotals } from "./data.mjs";

// Names come from visitors and origins: control characters (a terminal escape in a cookie name)
// are shown as \xNN, never sent to the operator's terminal.
// eslint-disable-next-line no-control-regex
export const printable = (text) => text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
/** A time in ms as `YYYY-MM-DD HH:MM:SSZ` (UTC); "" for anything else. */
export const iso = (ms) => (Number.isFinite(ms) ? new Date(ms).toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z") : "");
const percent = (r) => (r === null ? "" : `${(r * 100).toFixed(1)}%`);

export function table(columns, rows) {
  if (rows.length === 0) return "  (none)";
  const cells = rows.map((r) => columns.map(([key, fmt]) => printable(String(fmt ? fmt(r[key], r) : (r[key] ?? "")))));
  const widths = columns.map(([key], i) => Math.max(key.length, ...cells.map((c) => c[i].length)));
  const line = (vals) => `  ${vals.map((v, i) => v.padEnd(widths[i])).join("  ")}`.trimEnd();
  return [line(columns.map(([key]) => key)), line(widths.map((w) => "-".repeat(w))), ...cells.map(line)].join("\n");
}

/** `Hotjar, Functional (platform: Analytics)` (the platform's strictest category when another) and how it matched (`prefix _hjSessionUser_`), from the report's classification. */
export const classifiedAs = (c) => (c ? `${c.platform}, ${c.category || "no category"}${c.platformCategory && c.platformCategory !== c.category ? ` (platform: ${c.platformCategory})` : ""}` : "");
export const matchedBy = (c) => (c ? (c.match === "exact" ? "name" : `prefix ${c.pattern}`) : "");

/** The actions per day as one row per day with a column per action. */
export function actionColumns(perDay) {
  const days = new Map();
  for (const { day, value, count } of perDay) {
    if (!days.has(day)) days.set(day, Object.fromEntries([["day", day], ...ACTIONS.map((a) => [a, 0])]));
    days.get(day)[value] = count;
  }
  return [...days.values()];
}

export function printTenants(tenants, opts, source) {
  const names = Object.keys(tenants);
  console.log(`consent-edge report: ${source}${opts.tenant ? `, tenant ${opts.tenant}` : ""}; times in UTC`);
  if (names.length === 0) console.log("\nNo records and no inventory yet.");
  for (const name of names) {
    const t = tenants[name];
    console.log(`\n== ${name}`);
    console.log(
      `\nUnknown cookies (not in the policy; classified by the Open Cookie Database)\n${table(
        [["name"], ["source"], ["first_seen", iso], ["last_seen", iso], ["count"], ["classified_as", (_, r) => classifiedAs(r.classification)], ["matched_by", (_, r) => matchedBy(r.classification)]],
        t.unknownCookies,
      )}`,
    );
    if (t.blockedHosts.length) console.log(`\nHosts blocked by the CSP\n${table([["host"], ["service", (s) => s ?? "unknown"], ["first_seen", iso], ["last_seen", iso], ["count"]], t.blockedHosts)}`);
    console.log(`\nChoices per consent key per day (last ${opts.days} days)\n${table([["day"], ["consent_key"], ["granted"], ["refused"], ["opt_in", (_, r) => percent(r.rate)]], t.choicesPerDay)}`);
    console.log(`\nChoices per day by action (last ${opts.days} days)\n${table([["day"], ...ACTIONS.map((a) => [a])], actionColumns(t.choicesByDay.action))}`);
    for (const [dim, title] of [["made", "where / how"], ["lang", "language"], ["browser", "browser"]]) {
      console.log(`\nChoices by ${title} (last ${opts.days} days)\n${table([["value"], ["count"]], breakdownTotals(t.choicesByDay[dim]))}`);
    }
    console.log(`\nLatest records (at most ${opts.limit})\n${table([["created_at", iso], ["id"], ["kind"], ["action"], ["place"], ["via"], ["lang"], ["browser"], ["revision"]], t.latestRecords)}`);
  }
}

export function recordOut(row) {
  return { ...row, created: iso(row.created_at), choices: JSON.parse(row.choices), withdrawn: JSON.parse(row.withdrawn) };
}

export function printRecord(r) {
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

/**
 * The report as one self-contained HTML page (--html FILE): per tenant, charts (inline SVG from
 * charts.mjs) each with a text alternative and its data table, the unknown cookies with their
 * classification, and the hosts the CSP blocked; then the platform (policy sources, dead letters). No script, no resource from anywhere (its own
 * CSP says so: default-src 'none'); readable printed. Pure rendering apart from the file write.
 */
import { writeFile } from "node:fs/promises";
import { optInChart, stackedDayChart } from "./charts.mjs";
import { ACTIONS, DAY_MS, breakdownTotals, windowStart } from "./data.mjs";
import { iso, printable } from "./text.mjs";

const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
/** Visitor- or origin-supplied text: control characters shown as \xNN, then escaped. */
const text = (s) => escapeHtml(printable(String(s ?? "")));
const percent = (r) => (r === null || r === undefined ? "–" : `${(r * 100).toFixed(1)} %`);

const BREAKDOWN_TITLES = {
  action: ["Choices per day by action", "action"],
  made: ["Choices per day by where and how they were made", "place / via"],
  lang: ["Choices per day by language", "language"],
  browser: ["Choices per day by browser family", "browser"],
};

const STYLE = `
:root { color: #1a1a1a; background: #fff; font: 16px/1.45 system-ui, sans-serif; }
body { max-width: 60rem; margin: 0 auto; padding: 1rem 1.25rem 3rem; }
h1 { font-size: 1.6rem; margin: .5rem 0; } h2 { font-size: 1.35rem; margin-top: 2.5rem; border-bottom: 2px solid #1a1a1a; }
h3 { font-size: 1.1rem; margin-top: 1.75rem; }
a { color: #0b55a8; }
figure { margin: .75rem 0; }
figure svg { max-width: 100%; height: auto; display: block; }
figcaption { font-size: .9rem; color: #333; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; margin: .5rem 0 1rem; font-size: .9rem; }
caption { text-align: left; font-weight: 600; padding-bottom: .25rem; }
th, td { border: 1px solid #8a8a8a; padding: .2rem .5rem; text-align: left; vertical-align: top; }
th { background: #eef0f3; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
code { font-family: ui-monospace, monospace; overflow-wrap: anywhere; }
.note { color: #333; font-size: .9rem; }
@media print {
  :root { font-size: 11pt; }
  body { max-width: none; padding: 0; }
  nav { display: none; }
  section.tenant { break-before: page; }
  figure, tr { break-inside: avoid; }
  h2, h3 { break-after: avoid; }
  .table-wrap { overflow: visible; }
  a { color: inherit; text-decoration: none; }
}`;

/** Every UTC day (YYYY-MM-DD) from `first` to `last`, both included. */
export function dayRange(first, last) {
  const out = [];
  for (let t = Date.parse(`${first}T00:00:00Z`); t <= Date.parse(`${last}T00:00:00Z`); t += DAY_MS) out.push(new Date(t).toISOString().slice(0, 10));
  return out;
}

function tableHtml(caption, head, rows, foot) {
  const cell = (tag, c) => (typeof c === "object" && c !== null ? `<${tag}${c.num ? ' class="num"' : ""}${tag === "th" ? ' scope="col"' : ""}>${c.html ?? text(c.v)}</${tag}>` : `<${tag}${tag === "th" ? ' scope="col"' : ""}>${text(c)}</${tag}>`);
  const body = rows.length ? rows.map((r) => `<tr>${r.map((c, i) => (i === 0 ? cell("td", c).replace(/^<td/, '<th scope="row"').replace(/<\/td>$/, "</th>") : cell("td", c))).join("")}</tr>`).join("\n") : `<tr><td colspan="${head.length}">none</td></tr>`;
  const tfoot = foot ? `<tfoot><tr>${foot.map((c, i) => (i === 0 ? `<th scope="row">${text(c.v ?? c)}</th>` : cell("td", c))).join("")}</tr></tfoot>` : "";
  return `<div class="table-wrap"><table><caption>${escapeHtml(caption)}</caption><thead><tr>${head.map((h) => cell("th", h)).join("")}</tr></thead><tbody>\n${body}\n</tbody>${tfoot}</table></div>`;
}

function optInSection(tenant, t, days) {
  const keys = [...new Set(t.choicesPerDay.map((r) => r.consent_key))].sort();
  if (keys.length === 0) return `<h3>Opt-in rate per consent key</h3><p>No choices in the window.</p>`;
  const byDayKey = new Map(t.choicesPerDay.map((r) => [`${r.day}\u0000${r.consent_key}`, r]));
  const rateOf = (d, k) => byDayKey.get(`${d}\u0000${k}`)?.rate ?? null;
  const totals = keys.map((k) => {
    const rows = t.choicesPerDay.filter((r) => r.consent_key === k);
    const granted = rows.reduce((s, r) => s + r.granted, 0);
    const all = rows.reduce((s, r) => s + r.granted + r.refused, 0);
    return { k, granted, all, rate: all ? granted / all : null };
  });
  const label = `Line chart: opt-in rate per consent key per day for ${tenant}, ${days[0]} to ${days.at(-1)}. Over the whole window: ${totals.map((x) => `${x.k} ${percent(x.rate)} of ${x.all} choices`).join("; ")}. The table after the chart gives each day.`;
  const dataDays = [...new Set(t.choicesPerDay.map((r) => r.day))].sort().reverse();
  const rows = dataDays.map((d) => [d, ...keys.map((k) => {
    const r = byDayKey.get(`${d}\u0000${k}`);
    return { v: r ? `${percent(r.rate)} (${r.granted} of ${r.granted + r.refused})` : "–", num: true };
  })]);
  const foot = [{ v: "whole window" }, ...totals.map((x) => ({ v: `${percent(x.rate)} (${x.granted} of ${x.all})`, num: true }))];
  return `<h3 id="${escapeHtml(tenant)}-opt-in">Opt-in rate per consent key</h3>
<p class="note">The share of the choices made that day (including withdrawals) that granted the key.</p>
<figure>${optInChart(days, keys, rateOf, label)}<figcaption>Opt-in rate per consent key per day (UTC), ${escapeHtml(days[0])} to ${escapeHtml(days.at(-1))}.</figcaption></figure>
${tableHtml(`Opt-in rate per consent key per day, ${tenant}`, ["day", ...keys.map((k) => ({ v: k, num: true }))], rows, foot)}`;
}

function breakdownSection(tenant, t, dim, days) {
  const [title, what] = BREAKDOWN_TITLES[dim];
  const perDay = t.choicesByDay[dim];
  const id = escapeHtml(`${tenant}-${dim}`);
  if (perDay.length === 0) return `<h3 id="${id}">${escapeHtml(title)}</h3><p>No choices in the window.</p>`;
  const totals = breakdownTotals(perDay);
  const values = dim === "action" ? ACTIONS : totals.map((x) => x.value);
  const counts = new Map(perDay.map((r) => [`${r.day}\u0000${r.value}`, r.count]));
  const countOf = (d, v) => counts.get(`${d}\u0000${v}`) ?? 0;
  const total = (v) => totals.find((x) => x.value === v)?.count ?? 0;
  const all = totals.reduce((s, x) => s + x.count, 0);
  const label = `Stacked bar chart: ${title.toLowerCase()} for ${tenant}, ${days[0]} to ${days.at(-1)}. ${all} choices in all: ${values.map((v) => `${v} ${total(v)}`).join(", ")}. The table after the chart gives each day.`;
  const dataDays = [...new Set(perDay.map((r) => r.day))].sort().reverse();
  const rows = dataDays.map((d) => [d, ...values.map((v) => ({ v: countOf(d, v), num: true })), { v: values.reduce((s, v) => s + countOf(d, v), 0), num: true }]);
  const foot = [{ v: "whole window" }, ...values.map((v) => ({ v: total(v), num: true })), { v: all, num: true }];
  return `<h3 id="${id}">${escapeHtml(title)}</h3>
<figure>${stackedDayChart(days, values, countOf, label)}<figcaption>${escapeHtml(title)} (${escapeHtml(what)}), UTC days.</figcaption></figure>
${tableHtml(`${title}, ${tenant}`, ["day", ...values.map((v) => ({ v, num: true })), { v: "total", num: true }], rows, foot)}`;
}

function cookiesSection(tenant, t) {
  const rows = t.unknownCookies.map((c) => {
    const k = c.classification;
    return [
      { html: `<code>${text(c.name)}</code>` },
      c.source,
      k ? k.platform : "not in the database",
      k ? (k.platformCategory && k.platformCategory !== k.category ? `${k.category} (platform: ${k.platformCategory})` : k.category) : "",
      k ? (k.match === "exact" ? "name" : { html: `prefix <code>${text(k.pattern)}</code>` }) : "",
      k ? k.retention : "",
      iso(c.first_seen),
      iso(c.last_seen),
      { v: c.count, num: true },
    ];
  });
  return `<h3 id="${escapeHtml(tenant)}-cookies">Unknown cookies</h3>
<p class="note">Cookie names the tenant's policy does not declare, as the origin set them or visitors carried them, classified by the Open Cookie Database (Apache-2.0); "platform" is the strictest category the database gives any of the platform's cookies. <code>npm run report -- --suggest ${escapeHtml(tenant)}</code> turns them into a policy fragment.</p>
${tableHtml(`Unknown cookies, ${tenant}`, ["name", "source", "platform", "category", "matched by", "retention", "first seen (UTC)", "last seen (UTC)", { v: "count", num: true }], rows)}`;
}

function blockedSection(tenant, t) {
  const rows = t.blockedHosts.map((h) => [{ html: `<code>${text(h.host)}</code>` }, h.service ?? "unknown", iso(h.first_seen), iso(h.last_seen), { v: h.count, num: true }]);
  return `<h3 id="${escapeHtml(tenant)}-csp">Hosts blocked by the CSP</h3>
${tableHtml(`Hosts blocked by the CSP, ${tenant} (from browsers' violation reports)`, ["host", "service", "first seen (UTC)", "last seen (UTC)", { v: "count", num: true }], rows)}`;
}

/** Where policies come from and the dead-lettered records (scripts/lib/report/platform.mjs), when the report read them. */
function platformSectionHtml(p) {
  if (!p) return "";
  const s = p.policySources;
  const sources = s.tenants.map((t) => [t.tenant, t.source, t.revision ?? "", t.sha256 ? `${t.sha256.slice(0, 12)}…` : "", t.pushed_at ? iso(t.pushed_at) : ""]);
  const d = p.deadLetters;
  const letters = d.latest.map((r) => [iso(r.dead_at), { html: `<code>${text(r.id)}</code>` }, r.tenant ?? "", r.created_at ? iso(r.created_at) : "", { v: r.seen, num: true }, r.stored ? "yes" : "no", r.error ?? ""]);
  return `<section id="platform" aria-labelledby="h-platform">
<h2 id="h-platform">Platform</h2>
${tableHtml(`Policy sources${s.kvReadable ? "" : " (KV could not be read: bundle only)"}`, ["tenant", "source", "revision", "sha-256", "pushed (UTC)"], sources)}
<p>Dead-lettered consent records: ${d.total} (${d.stored} stored in consent_records after all, ${d.kept} kept aside with their body).</p>
${d.total > 0 ? tableHtml("Latest dead-lettered consent records", ["dead at (UTC)", "id", "tenant", "created (UTC)", { v: "seen", num: true }, "stored", "error"], letters) : ""}
</section>`;
}

/** The whole page. */
export function renderHtmlReport({ tenants, opts, source, now, platform }) {
  const today = new Date(now).toISOString().slice(0, 10);
  const start = windowStart(now, opts.days);
  const names = Object.keys(tenants);
  const sections = names.map((name) => {
    const t = tenants[name];
    const dataDays = [...t.choicesPerDay.map((r) => r.day), ...t.choicesByDay.action.map((r) => r.day)].sort();
    // The charts' x axis: every day from the first with a choice (within the window) to today.
    const days = dayRange(dataDays.length && dataDays[0] > start ? dataDays[0] : start, today);
    return `<section class="tenant" id="tenant-${escapeHtml(name)}" aria-labelledby="h-${escapeHtml(name)}">
<h2 id="h-${escapeHtml(name)}">${escapeHtml(name)}</h2>
${optInSection(name, t, days)}
${Object.keys(BREAKDOWN_TITLES).map((dim) => breakdownSection(name, t, dim, days)).join("\n")}
${cookiesSection(name, t)}
${blockedSection(name, t)}
</section>`;
  });
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="consent-edge npm run report">
<title>consent-edge report${opts.tenant ? `: ${escapeHtml(opts.tenant)}` : ""}, ${escapeHtml(start)} to ${escapeHtml(today)}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>consent-edge report</h1>
<p>${escapeHtml(source)}${opts.tenant ? `, tenant ${escapeHtml(opts.tenant)}` : ""}. Choices over the last ${opts.days} days (${escapeHtml(start)} to ${escapeHtml(today)}, UTC); the cookie inventory and blocked hosts as kept (13 months by default). Generated ${escapeHtml(new Date(now).toISOString())}.</p>
</header>
${names.length > 1 || platform ? `<nav aria-label="Sections"><ul>${names.map((n) => `<li><a href="#tenant-${escapeHtml(n)}">${escapeHtml(n)}</a></li>`).join("")}${platform ? '<li><a href="#platform">platform</a></li>' : ""}</ul></nav>` : ""}
<main>
${sections.length ? sections.join("\n") : "<p>No records and no inventory yet.</p>"}
${platformSectionHtml(platform)}
</main>
<footer><p class="note">Cookie classification: the Open Cookie Database (Apache License 2.0), vendored in scripts/data/open-cookie-database/.</p></footer>
</body>
</html>
`;
}

export async function writeHtmlReport(file, input) {
  await writeFile(file, renderHtmlReport(input));
}

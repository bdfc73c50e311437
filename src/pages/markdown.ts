/** Renders the policy view as CommonMark/GFM text (sections, then one table per category). Pure; no I/O. */
import { serviceRows, type PolicyView, type ServiceView } from "./view";

/** Text outside tables: raw HTML is neutralised, line structure kept. */
export function escapeMarkdownText(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

/**
 * A GFM table cell: one line, `|` and `\` escaped so no value can open a new column,
 * raw HTML neutralised.
 */
export function escapeMarkdownCell(text: string): string {
  return escapeMarkdownText(text)
    .replaceAll("\\", "\\\\")
    .replaceAll("|", "\\|")
    .replace(/\s*[\r\n]+\s*/g, " ")
    .trim();
}

/** A cookie name as inline code; names cannot hold backticks or `|` (RFC 6265bis token), but escape anyway. */
function code(name: string): string {
  return "`" + name.replaceAll("`", "'").replaceAll("|", "\\|") + "`";
}

function serviceRow(s: ServiceView): string {
  const names = s.cookies.map((k) => code(k.name) + (k.prefix ? "\\*" : "")).join(", ");
  const durations = new Set(s.cookies.map((k) => k.duration));
  const duration =
    durations.size <= 1
      ? escapeMarkdownCell(s.cookies[0]?.duration ?? "")
      : s.cookies.map((k) => `${code(k.name)}: ${escapeMarkdownCell(k.duration)}`).join("; ");
  const overrides = s.cookies.filter((k) => k.purpose !== undefined);
  const purpose = [escapeMarkdownCell(s.purpose), ...overrides.map((k) => `${code(k.name)}: ${escapeMarkdownCell(k.purpose!)}`)].join("; ");
  return `| ${escapeMarkdownCell(s.provider)} | ${escapeMarkdownCell(s.function)} | ${names} | ${purpose} | ${duration} |`;
}

export function renderPolicyMarkdown(view: PolicyView): string {
  const t = view.ui;
  const out: string[] = [`# ${escapeMarkdownText(view.title)}`, ""];
  for (const sec of view.sections) {
    out.push(`${"#".repeat(sec.level)} ${escapeMarkdownText(sec.heading)}`, "");
    for (const p of sec.paragraphs) out.push(escapeMarkdownText(p), "");
  }
  out.push(`## ${escapeMarkdownText(view.tablesHeading)}`, "");
  for (const cat of view.categories) {
    out.push(`### ${escapeMarkdownText(cat.name)}`, "", escapeMarkdownText(cat.description), "");
    if (cat.services.length === 0) {
      out.push(t.noCookies, "");
      continue;
    }
    out.push(
      `| ${t.colProvider} | ${t.colFunction} | ${t.colCookies} | ${t.colPurpose} | ${t.colDuration} |`,
      "| --- | --- | --- | --- | --- |",
      ...cat.services.flatMap(serviceRows).map(serviceRow),
      "",
    );
  }
  return out.join("\n");
}

// `npm run report` over a local D1 the test fills with known rows: the numbers of --json
// (exact rates and counts per day), the --html page in real Chromium (axe-core clean, no network
// request, every chart with a text alternative and a table), the --csv exports read back with
// csv-parse (quotes, commas and line breaks in names; pages of 3 rows), and --suggest's fragment
// validated against the real policies.
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { parse as parseCsv } from "csv-parse/sync";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../browser/chromium";
import { loadPolicyCode } from "../../scripts/lib/policy-code.mjs";
import { readPolicyFiles, withFragment } from "../../scripts/lib/report/suggest.mjs";

const ROOT = path.resolve(import.meta.dirname, "../..");
const ENV = { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false", CI: "true", NO_COLOR: "1" };
const DAY = 86_400_000;
const now = Date.now();
/** Noon (UTC) `n` days ago, and its date. */
const noon = (n: number) => Math.floor(now / DAY) * DAY - n * DAY + 12 * 3_600_000;
const day = (n: number) => new Date(noon(n)).toISOString().slice(0, 10);

/** CSV text as objects keyed by the header line. */
const parse = (text: string, _o: { columns: true }): Record<string, string>[] => parseCsv(text, { columns: true });

function report(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn("npm", ["run", "-s", "report", "--", "--persist-to", dir, ...args], { cwd: ROOT, env: ENV, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

function d1(sql: string): Record<string, unknown>[] {
  const r = spawnSync("npx", ["wrangler", "d1", "execute", "DB", "--local", "--persist-to", dir, "--json", "--command", sql], { cwd: ROOT, env: ENV, encoding: "utf8" });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout)[0].results;
}

type Rec = [tenant: string, daysAgo: number, kind: "choice" | "withdrawal", action: string, choices: Record<string, boolean>, place: string, via: string, lang: string, browser: string];
const RECORDS: Rec[] = [
  // alpha, yesterday: ga 3 of 4 granted (75 %), matomo 2 of 4 (50 %); accept 2, refuse 1, save 1.
  ["alpha", 1, "choice", "accept", { ga: true, matomo: true }, "banner", "form", "en", "Firefox"],
  ["alpha", 1, "choice", "accept", { ga: true, matomo: true }, "banner", "script", "fr", "Chrome"],
  ["alpha", 1, "choice", "refuse", { ga: false, matomo: false }, "page", "form", "en", "Firefox"],
  ["alpha", 1, "choice", "save", { ga: true, matomo: false }, "page", "script", "en", "Safari"],
  // alpha, three days ago: ga 1 of 2, matomo 1 of 2; accept 1, withdraw 1.
  ["alpha", 3, "withdrawal", "refuse", { ga: false, matomo: false }, "page", "form", "fr", "Chrome"],
  ["alpha", 3, "choice", "accept", { ga: true, matomo: true }, "other", "script", "en", "Firefox"],
  // Outside the 30-day window: in no count, but in the CSV export.
  ["alpha", 40, "choice", "refuse", { ga: false, matomo: false }, "banner", "form", "en", "Firefox"],
  // beta, two days ago: ga 1 of 1.
  ["beta", 2, "choice", "accept", { ga: true }, "banner", "form", "en", "Edge"],
];
const NAMES = ["_hjSessionUser_4321", "_fbp", 'we,ird"name', "multi\nline", "cr\rname", "plain_unknown", "<img src=x onerror=alert(1)>"];
let dir: string;
let browser: Browser | undefined;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "consent-edge-analytics-"));
  const migrate = spawnSync("npx", ["wrangler", "d1", "migrations", "apply", "DB", "--local", "--persist-to", dir], { cwd: ROOT, env: ENV, encoding: "utf8" });
  expect(migrate.status, migrate.stderr).toBe(0);
  const s = (v: string) => `'${v.replace(/'/g, "''").replace(/\n/g, "' || char(10) || '").replace(/\r/g, "' || char(13) || '")}'`;
  const sql = RECORDS.map(
    ([tenant, ago, kind, action, choices, place, via, lang, br], i) =>
      `INSERT INTO consent_records (id, tenant, created_at, kind, action, revision, policy_sha256, choices, withdrawn, place, via, lang, browser) VALUES ` +
      `(${s(`rec${String(i).padStart(19, "0")}`)}, ${s(tenant)}, ${noon(ago) + i}, ${s(kind)}, ${s(action)}, 'r1', ${s("ab".repeat(32))}, ${s(JSON.stringify(choices))}, ${s(kind === "withdrawal" ? '["ga","matomo"]' : "[]")}, ${s(place)}, ${s(via)}, ${s(lang)}, ${s(br)});`,
  );
  NAMES.forEach((n, i) => sql.push(`INSERT INTO cookie_inventory VALUES ('alpha', 'visitor', ${s(n)}, NULL, ${noon(5)}, ${noon(1)}, ${i + 1});`));
  sql.push(`INSERT INTO cookie_inventory VALUES ('alpha', 'origin', 'sessionid', 'opendatasoft', ${noon(5)}, ${noon(1)}, 9);`);
  sql.push(`INSERT INTO cookie_inventory VALUES ('alpha', 'csp', 'tracker.example', NULL, ${noon(4)}, ${noon(2)}, 2);`);
  // A dead-lettered record (helper of the queue path), for the page's platform section; its error text is markup.
  sql.push(`INSERT INTO consent_dead_letters (id, tenant, created_at, dead_at, seen, stored, body, error) VALUES ('dead0000000000000000001', 'alpha', ${noon(1)}, ${noon(1) + 5}, 2, 0, '{}', '<b>D1 down</b>');`);
  // --suggest reads the seed tenant maia (a real policy file).
  for (const n of ["_hjSessionUser_4321", "_hjSession_99", "_fbp", "_clck", "_ga", "plain_unknown", "bad(name"]) sql.push(`INSERT INTO cookie_inventory VALUES ('maia', 'visitor', ${s(n)}, NULL, ${noon(2)}, ${noon(1)}, 1);`);
  const file = path.join(dir, "fill.sql");
  writeFileSync(file, sql.join("\n"));
  const fill = spawnSync("npx", ["wrangler", "d1", "execute", "DB", "--local", "--persist-to", dir, "--file", file], { cwd: ROOT, env: ENV, encoding: "utf8" });
  expect(fill.status, fill.stderr).toBe(0);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("npm run report -- --json: the numbers", () => {
  it("gives exact opt-in rates per key per day and choices per day by action, place/via, language and browser", async () => {
    const r = await report(["--json"]);
    expect(r.status, r.stderr).toBe(0);
    const { alpha, beta } = JSON.parse(r.stdout).tenants;
    const rates = alpha.choicesPerDay.map((x: { day: string; consent_key: string; granted: number; refused: number; rate: number }) => [x.day, x.consent_key, x.granted, x.refused, x.rate]);
    expect(rates).toEqual([
      [day(1), "ga", 3, 1, 0.75],
      [day(1), "matomo", 2, 2, 0.5],
      [day(3), "ga", 1, 1, 0.5],
      [day(3), "matomo", 1, 1, 0.5],
    ]);
    expect(alpha.choicesByDay.action).toEqual([
      { day: day(1), value: "accept", count: 2 },
      { day: day(1), value: "refuse", count: 1 },
      { day: day(1), value: "save", count: 1 },
      { day: day(3), value: "accept", count: 1 },
      { day: day(3), value: "withdraw", count: 1 },
    ]);
    expect(alpha.choicesByDay.made).toEqual([
      { day: day(1), value: "banner / form", count: 1 },
      { day: day(1), value: "banner / script", count: 1 },
      { day: day(1), value: "page / form", count: 1 },
      { day: day(1), value: "page / script", count: 1 },
      { day: day(3), value: "other / script", count: 1 },
      { day: day(3), value: "page / form", count: 1 },
    ]);
    expect(alpha.choicesByDay.lang).toEqual([
      { day: day(1), value: "en", count: 3 },
      { day: day(1), value: "fr", count: 1 },
      { day: day(3), value: "en", count: 1 },
      { day: day(3), value: "fr", count: 1 },
    ]);
    expect(alpha.choicesByDay.browser).toEqual([
      { day: day(1), value: "Chrome", count: 1 },
      { day: day(1), value: "Firefox", count: 2 },
      { day: day(1), value: "Safari", count: 1 },
      { day: day(3), value: "Chrome", count: 1 },
      { day: day(3), value: "Firefox", count: 1 },
    ]);
    expect(beta.choicesPerDay).toEqual([{ day: day(2), consent_key: "ga", granted: 1, refused: 0, rate: 1 }]);
    // --days bounds the window: two days hold only yesterday's choices.
    const two = JSON.parse((await report(["--json", "--days", "2", "--tenant", "alpha"])).stdout).tenants.alpha;
    expect(two.choicesPerDay.map((x: { day: string }) => x.day)).toEqual([day(1), day(1)]);
    expect(alpha.unknownCookies.map((c: { name: string; classification: { platform: string } | null }) => [c.name, c.classification?.platform ?? null])).toEqual([
      ["<img src=x onerror=alert(1)>", null],
      ["plain_unknown", null],
      ["cr\rname", null],
      ["multi\nline", null],
      ['we,ird"name', null],
      ["_fbp", "Facebook"],
      ["_hjSessionUser_4321", "Hotjar"],
    ]);
  }, 150_000);
});

describe("npm run report -- --html", () => {
  it("writes one page that Chromium shows with no network request, no axe-core violation, and a text alternative and table for every chart", async () => {
    const out = path.join(dir, "report.html");
    const r = await report(["--html", out]);
    expect(r.status, r.stderr).toBe(0);
    const html = readFileSync(out, "utf8");
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\((?!#)|(?:href|src)="(?!#)/i);

    browser = await launchChromium();
    // bypassCSP: the page's own CSP (default-src 'none') would refuse the injected axe-core script.
    const context = await browser.newContext({ bypassCSP: true, viewport: { width: 1000, height: 900 } });
    const page = await context.newPage();
    const requests: string[] = [];
    page.on("request", (req) => requests.push(req.url()));
    await page.goto(`file://${out}`);
    expect(requests).toEqual([`file://${out}`]);

    const charts = await page.$$eval("svg", (svgs) =>
      svgs.map((svg) => {
        const figure = svg.closest("figure");
        let next = figure?.nextElementSibling;
        return {
          role: svg.getAttribute("role"),
          label: svg.getAttribute("aria-label") ?? "",
          title: svg.querySelector(":scope > title")?.textContent ?? "",
          tableCaption: next?.querySelector("table caption")?.textContent ?? "",
        };
      }),
    );
    // alpha and beta: an opt-in chart and four breakdowns each.
    expect(charts).toHaveLength(10);
    for (const c of charts) {
      expect(c.role).toBe("img");
      expect(c.label.length).toBeGreaterThan(40);
      expect(c.title).toBe(c.label);
      expect(c.tableCaption).not.toBe("");
    }
    expect(charts[0].label).toContain("ga 66.7 % of 6 choices; matomo 50.0 % of 6 choices");
    expect(charts[1].label).toContain("6 choices in all: accept 3, refuse 1, save 1, withdraw 1");
    // The tables hold the numbers: yesterday's opt-in rates for alpha.
    const yesterday = await page.$$eval(`#tenant-alpha table`, (tables, d) => tables[0].querySelector(`tbody tr th`)?.parentElement?.textContent ?? "", day(1));
    expect(yesterday).toBe(`${day(1)}75.0 % (3 of 4)50.0 % (2 of 4)`);
    // Names from visitors are text, escaped: the quote, comma and line break are there, no markup.
    expect(await page.$$eval("#alpha-cookies ~ .table-wrap code", (codes) => codes.map((c) => c.textContent))).toEqual(
      expect.arrayContaining(['we,ird"name', "multi\\x0aline", "_hjSessionUser_", "_hjSessionUser_4321", "<img src=x onerror=alert(1)>"]),
    );
    expect(await page.$$("main img, main script")).toHaveLength(0);
    // The platform section: the dead letter, its error shown as text.
    expect(await page.$eval("#platform", (p) => p.textContent)).toMatch(/Dead-lettered consent records: 1 \(0 stored in consent_records after all, 1 kept aside with their body\)[\s\S]*dead0000000000000000001[\s\S]*<b>D1 down<\/b>/);

    const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
    await page.addScriptTag({ content: axeSource });
    const result = await page.evaluate(async () => {
      const axe = (window as unknown as { axe: { run(ctx: Document, o: object): Promise<{ violations: { id: string; nodes: { target: string[] }[] }[]; passes: { id: string }[] }> } }).axe;
      const r = await axe.run(document, { resultTypes: ["violations"] });
      return { violations: r.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`), passes: r.passes.map((p) => p.id) };
    });
    expect(result.violations).toEqual([]);
    expect(result.passes).toEqual(expect.arrayContaining(["svg-img-alt", "color-contrast", "document-title", "html-has-lang"]));

    // The screenshot, for a person to look at (test-results/ is not committed).
    mkdirSync(path.join(ROOT, "test-results"), { recursive: true });
    await page.screenshot({ path: path.join(ROOT, "test-results", "report-html.png"), fullPage: true });
    await page.screenshot({ path: path.join(ROOT, "test-results", "report-html-top.png") });
    await page.emulateMedia({ media: "print" });
    expect(await page.$eval("nav", (n) => getComputedStyle(n).display)).toBe("none");
    expect(requests).toHaveLength(1);
    await context.close();
  }, 150_000);
});

describe("npm run report -- --csv", () => {
  it("exports every record (RFC 4180, header, UTC ISO times), page by page, and reads back the same", async () => {
    // Pages of 3: three queries for the 8 records (each a wrangler run of a few seconds).
    const r = await report(["--csv", "records", "--page-size", "3"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.startsWith("id,tenant,created_at,kind,action,revision,policy_sha256,choices,withdrawn,place,via,lang,browser\r\n")).toBe(true);
    const rows = parse(r.stdout, { columns: true });
    const stored = d1("SELECT * FROM consent_records ORDER BY created_at, id");
    expect(rows).toHaveLength(RECORDS.length);
    expect(rows).toEqual(stored.map((s) => ({ ...Object.fromEntries(Object.entries(s).map(([k, v]) => [k, String(v)])), created_at: new Date(s.created_at as number).toISOString() })));
    expect(rows[0].created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(JSON.parse(rows.find((x) => x.kind === "withdrawal")!.withdrawn)).toEqual(["ga", "matomo"]);
    const alpha = await report(["--csv", "records", "--tenant", "beta"]);
    expect(parse(alpha.stdout, { columns: true }).map((x) => x.tenant)).toEqual(["beta"]);
  }, 150_000);

  it("exports the inventory with the classification, names with quotes, commas and line breaks intact", async () => {
    const r = await report(["--csv", "inventory", "--page-size", "3", "--tenant", "alpha"]);
    expect(r.status, r.stderr).toBe(0);
    const rows = parse(r.stdout, { columns: true });
    expect(rows.map((x) => x.name).sort()).toEqual([...NAMES, "sessionid", "tracker.example"].sort());
    expect(rows.find((x) => x.name === "_hjSessionUser_4321")).toEqual({
      tenant: "alpha",
      source: "visitor",
      name: "_hjSessionUser_4321",
      service: "",
      first_seen: new Date(noon(5)).toISOString(),
      last_seen: new Date(noon(1)).toISOString(),
      count: "1",
      ocd_platform: "Hotjar",
      ocd_category: "Functional",
      ocd_platform_category: "Analytics",
      ocd_match: "prefix _hjSessionUser_",
    });
    // A declared cookie and a blocked host get no catalogue columns.
    expect(rows.find((x) => x.name === "sessionid")).toMatchObject({ service: "opendatasoft", ocd_platform: "" });
    // Every field with a line break (CR or LF) is quoted, so readers that split on either keep the row.
    expect(r.stdout).toContain('"multi\nline"');
    expect(r.stdout).toContain('"cr\rname"');
    expect(r.stdout).toContain('"we,ird""name"');
  }, 150_000);
});

describe("npm run report -- --suggest", () => {
  it("prints a fragment for the unknown cookies the Open Cookie Database knows, which the policy validator accepts merged into the tenant's file", async () => {
    const r = await report(["--suggest", "maia"]);
    expect(r.status, r.stderr).toBe(0);
    const fragment = JSON.parse(r.stdout);
    const byId = Object.fromEntries(fragment.services.map((s: { id: string }) => [s.id, s]));
    expect(Object.keys(byId).sort()).toEqual(["facebook", "hotjar", "microsoft"]);
    // One service per platform; the prefixes of the database, each once.
    expect(byId.hotjar).toMatchObject({ consentKey: "hotjar", category: "statistics", provider: "Hotjar" });
    expect(byId.hotjar.cookies).toEqual([
      expect.objectContaining({ name: "_hjSessionUser_", prefix: true, duration: "365 days" }),
      expect.objectContaining({ name: "_hjSession_", prefix: true, duration: "30 minutes" }),
    ]);
    // maia declares necessary and statistics only: Marketing goes to statistics, never to necessary.
    expect(byId.facebook).toMatchObject({ category: "statistics", cookies: [{ name: "_fbp", duration: "4 months" }] });
    expect(byId.microsoft.cookies).toEqual([{ name: "_clck", duration: "1 year" }]);
    expect(r.stderr).toMatch(/"_ga" is declared by the policy now \(service google-analytics\): left out/);
    expect(r.stderr).toMatch(/"plain_unknown" is not in the Open Cookie Database/);
    expect(r.stderr).toMatch(/"bad\(name" is not in the Open Cookie Database/);

    // Validated here independently of the script: the real policies, maia's file with the fragment appended.
    const { loadPolicies, createRegistry } = await loadPolicyCode();
    const { bases, tenants } = await readPolicyFiles(path.join(ROOT, "policies"));
    const merged = { ...tenants, "maia.json": withFragment(tenants["maia.json"], fragment) };
    expect(() => loadPolicies(bases, merged)).not.toThrow();
    const maia = createRegistry(bases, merged).byId("maia")!;
    expect(maia.classify("_hjSessionUser_4321")?.service.id).toBe("hotjar");
    expect(maia.classify("_fbp")?.service.consentKey).toBe("facebook");
    expect(maia.classify("_ga")?.service.id).toBe("google-analytics");
  });

  it("refuses a tenant without a policy file", async () => {
    const r = await report(["--suggest", "nobody"]);
    expect([r.status, r.stderr]).toEqual([2, expect.stringMatching(/no policy policies\/nobody\.json/)]);
  });
});

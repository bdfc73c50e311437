// The Open Cookie Database as the report uses it: real cookie names against the vendored CSV
// (exact names, wildcard prefixes, unknown names), the parser's refusals, and the refresh script.
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CATALOGUE_CSV, classificationOf, createCatalogue, loadCatalogue, parseCatalogueCsv } from "../../scripts/lib/cookie-catalogue.mjs";

const ROOT = path.resolve(import.meta.dirname, "../..");
const HEADER = "ID,Platform,Category,Cookie / Data Key name,Domain,Description,Retention period,Data Controller,User Privacy & GDPR Rights Portals,Wildcard match";

describe("the vendored Open Cookie Database", () => {
  const catalogue = loadCatalogue();

  it("holds the snapshot's 2264 entries", () => {
    expect(catalogue.size).toBe(2264);
  });

  it.each([
    // name, platform, category, match, pattern
    ["_hjSessionUser_4321", "Hotjar", "Functional", "prefix", "_hjSessionUser_"],
    ["_hjSession_4321", "Hotjar", "Functional", "prefix", "_hjSession_"],
    ["_hjid", "Hotjar", "Analytics", "exact", "_hjid"],
    ["_fbp", "Facebook", "Marketing", "exact", "_fbp"],
    ["_clck", "Microsoft", "Analytics", "exact", "_clck"],
    ["_ga", "Google Analytics", "Analytics", "exact", "_ga"],
    ["_ga_ABC123", "Google Analytics", "Analytics", "prefix", "_ga_"],
    // The longest prefix wins: `_gac_gb_` over `_gac_`, `_pk_id.` over `_pk_id`.
    ["_gac_gb_UA-1", "Google Ads", "Marketing", "prefix", "_gac_gb_"],
    ["_pk_id.1.abcd", "Piwik", "Analytics", "prefix", "_pk_id."],
    // A wildcard matches its own stem too; `_gat_gtag_` is longer than `_gat`.
    ["_gat", "Google Analytics", "Analytics", "prefix", "_gat"],
    ["_gat_UA-1", "Google Analytics", "Analytics", "prefix", "_gat"],
    ["_gat_gtag_UA_1", "Google Analytics", "Analytics", "prefix", "_gat_gtag_"],
  ])("%s is %s, %s (%s %s)", (name, platform, category, match, pattern) => {
    expect(classificationOf(catalogue, name)).toMatchObject({ platform, category, match, pattern });
  });

  it("gives each entry its platform's strictest category", () => {
    expect(catalogue.classify("_hjSessionUser_4321")).toMatchObject({ category: "Functional", platformCategory: "Analytics" });
    expect(catalogue.classify("_fbp")).toMatchObject({ category: "Marketing", platformCategory: "Marketing" });
    expect(catalogue.classify("__cfduid")).toMatchObject({ platform: "Cloudflare", category: "Functional", platformCategory: "Functional" });
  });

  it.each(["report_probe", "odd\tname", "", "HJSESSIONUSER_1", "_hjsessionuser_1"])("%j is unknown (names compare case-sensitively)", (name) => {
    expect(classificationOf(catalogue, name)).toBeNull();
  });
});

describe("parseCatalogueCsv and createCatalogue", () => {
  it("reads quoted fields with commas, quotes and newlines, and prefers exact names over prefixes", () => {
    const csv = `${HEADER}\n1,"Acme, Inc.",Marketing,acme_,,"says ""hi""\nacross lines",1 day,Acme,,1\n2,Acme,Analytics,acme_id,,d,2 days,Acme,,0\n`;
    const entries = parseCatalogueCsv(csv);
    expect(entries).toHaveLength(2);
    expect(entries[0]).toMatchObject({ platform: "Acme, Inc.", description: 'says "hi"\nacross lines', wildcard: true });
    const c = createCatalogue(entries);
    expect(c.classify("acme_id")).toMatchObject({ category: "Analytics", match: "exact" });
    expect(c.classify("acme_idx")).toMatchObject({ category: "Marketing", match: "prefix" });
    expect(c.classify("acme")).toBeUndefined();
  });

  it("refuses another header, a row without a name and a bad wildcard flag", () => {
    expect(() => parseCatalogueCsv("a,b\n1,2\n")).toThrow(/line 1: the header is not the Open Cookie Database's/);
    expect(() => parseCatalogueCsv(`${HEADER}\n1,P,Analytics,,,,,,,0\n`)).toThrow(/line 2: no cookie name/);
    expect(() => parseCatalogueCsv(`${HEADER}\n1,P,Analytics,x,,,,,,yes\n`)).toThrow(/line 2: "Wildcard match" must be 0 or 1/);
  });
});

describe("npm run cookie-db", () => {
  it("refreshes a copy from a newer CSV and refuses a truncated one", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "consent-edge-ocd-"));
    try {
      cpSync(path.dirname(CATALOGUE_CSV), dir, { recursive: true });
      const original = readFileSync(CATALOGUE_CSV, "utf8");
      const newer = path.join(dir, "newer.csv");
      writeFileSync(newer, `${original.trimEnd()}\nnew-1,Newcorp,Analytics,_newcorp_,,A new cookie,1 day,Newcorp,,1\n`);
      const run = (file: string) => spawnSync("npm", ["run", "-s", "cookie-db", "--", file, "--target", dir, "--source", "test"], { cwd: ROOT, encoding: "utf8" });
      const ok = run(newer);
      expect(ok.status, ok.stderr).toBe(0);
      expect(ok.stdout).toMatch(/2265 entries \(2264 before\)/);
      expect(loadCatalogue(path.join(dir, "open-cookie-database.csv")).classify("_newcorp_42")).toMatchObject({ platform: "Newcorp" });
      expect(readFileSync(path.join(dir, "SOURCE.md"), "utf8")).toMatch(/2265 entries \(261 wildcard prefixes\)/);

      const truncated = path.join(dir, "truncated.csv");
      writeFileSync(truncated, original.split("\n").slice(0, 100).join("\n"));
      const refused = run(truncated);
      expect([refused.status, refused.stderr]).toEqual([1, expect.stringMatching(/99 entries, fewer than half of the 2265/)]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

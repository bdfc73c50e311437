// --suggest's pure part (scripts/lib/report/suggest.mjs) on the real policies and the vendored
// Open Cookie Database: category mapping onto what the tenant declares (never "necessary"),
// grouping, prefixes taken once, ids kept apart from the policy's, names left out and why;
// every fragment validated merged into the tenant's file.
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadCatalogue } from "../../scripts/lib/cookie-catalogue.mjs";
import { loadPolicyCode } from "../../scripts/lib/policy-code.mjs";
import { buildSuggestion, readPolicyFiles, withFragment } from "../../scripts/lib/report/suggest.mjs";
import type { CompiledPolicy } from "../../src/policy/types";

const ROOT = path.resolve(import.meta.dirname, "../..");
const catalogue = loadCatalogue();
let code: Awaited<ReturnType<typeof loadPolicyCode>>;
let files: Awaited<ReturnType<typeof readPolicyFiles>>;

beforeAll(async () => {
  code = await loadPolicyCode();
  files = await readPolicyFiles(path.join(ROOT, "policies"));
});

/** maia, with `categories` added to the base's, compiled; and a check that a fragment validates merged into it. */
function maiaWith(extra: string[]): { policy: CompiledPolicy; validate(fragment: { services: unknown[] }): CompiledPolicy } {
  const base = files.bases["opendatasoft.json"] as { categories: { id: string }[] };
  const maia = { ...files.tenants["maia.json"], categories: [...base.categories, ...extra.map((id) => ({ id, name: id, description: `${id} cookies` }))] };
  const tenants = { ...files.tenants, "maia.json": maia };
  return {
    policy: code.createRegistry(files.bases, tenants).byId("maia")!,
    validate: (fragment) => code.createRegistry(files.bases, { ...tenants, "maia.json": withFragment(maia, fragment) }).byId("maia")!,
  };
}

const names = (...n: string[]) => n.map((name) => ({ name }));

describe("buildSuggestion", () => {
  it("maps each platform onto the tenant's own categories: marketing and functional when declared", () => {
    const { policy, validate } = maiaWith(["functional", "marketing"]);
    const { fragment } = buildSuggestion(policy, names("_fbp", "_hjSessionUser_1", "_clck", "__cfduid"), catalogue);
    const cat = Object.fromEntries(fragment.services.map((s) => [s.id, s.category]));
    // Hotjar's _hjSessionUser_ is Functional, but the database has Analytics cookies of Hotjar's:
    // the platform as a whole is statistics. Cloudflare's are all Functional.
    expect(cat).toEqual({ "cloudflare-2": "functional", facebook: "marketing", hotjar: "statistics", microsoft: "statistics" });
    const merged = validate(fragment);
    expect(merged.classify("_hjSessionUser_99")?.service.category).toBe("statistics");
  });

  it("with only necessary and statistics, sends everything to statistics, never to necessary, and says so", () => {
    const { policy, validate } = maiaWith([]);
    const { fragment, notes } = buildSuggestion(policy, names("_fbp", "_hjSessionUser_1", "__cfduid"), catalogue);
    expect(fragment.services.map((s) => [s.id, s.category, s.consentKey])).toEqual([
      // The base already has a service "cloudflare": the suggestion's id keeps apart.
      ["cloudflare-2", "statistics", "cloudflare-2"],
      ["facebook", "statistics", "facebook"],
      ["hotjar", "statistics", "hotjar"],
    ]);
    expect(notes).toEqual(expect.arrayContaining([
      expect.stringMatching(/^Facebook is Marketing .* no "marketing" category: suggested as "statistics"$/),
      expect.stringMatching(/^Cloudflare is Functional .* suggested as "statistics" \(with consent\)/),
    ]));
    validate(fragment);
  });

  it("takes the strictest category of a platform's cookies, and each prefix once", () => {
    const { policy, validate } = maiaWith(["functional"]);
    // _hjSessionUser_ is Functional, _hjid Analytics: Hotjar as a whole needs the statistics consent
    // (as it would for _hjSessionUser_ alone: the platform's strictest category in the database).
    const { fragment } = buildSuggestion(policy, names("_hjSessionUser_1", "_hjSessionUser_2", "_hjid"), catalogue);
    expect(fragment.services).toHaveLength(1);
    expect(fragment.services[0]).toMatchObject({ id: "hotjar", category: "statistics" });
    expect((fragment.services[0].cookies as { name: string; prefix?: boolean }[]).map((c) => [c.name, c.prefix ?? false])).toEqual([
      ["_hjSessionUser_", true],
      ["_hjid", false],
    ]);
    validate(fragment);
  });

  it("leaves out names the policy declares, names the database does not know, and no-token names; nothing to suggest is an empty list", () => {
    const { policy, validate } = maiaWith([]);
    const { fragment, notes } = buildSuggestion(policy, names("_ga_XYZ", "nobody_knows", "we ird", "dsps:1234"), catalogue);
    expect(fragment).toEqual({ services: [] });
    expect(notes).toEqual([
      '"_ga_XYZ" is declared by the policy now (service google-analytics): left out',
      '"nobody_knows" is not in the Open Cookie Database: declare it by hand',
      '"we ird" is not in the Open Cookie Database: declare it by hand',
      // Known to the database by its prefix "dsps:", but neither that nor the name is a cookie-name token.
      '"dsps:1234" is not a valid cookie name (RFC 6265 token): left out',
    ]);
    validate(fragment);
  });
});

// Keeps policies/policy.schema.json (for editors) and src/policy/validate.ts (the build check) in step.
import { describe, expect, it } from "vitest";
import schema from "../../policies/policy.schema.json";
import { LANG_TAG_PATTERN, PLACEHOLDERS, UI_KEYS, UNIT_KEY_LIST } from "../../src/i18n/strings";
import { CATEGORIES, CSP_MODES, DURATION_UNITS, POLICY_MODES, SOURCE_DIRECTIVES } from "../../src/policy/types";
import * as v from "../../src/policy/validate";

type Node = Record<string, any>;
const defs = schema.$defs as Node;
const keys = (node: Node) => Object.keys(node.properties).sort();
const sorted = (list: readonly (string | number)[]) => [...list].sort();

describe("policy.schema.json", () => {
  it("is draft 2020-12", () => {
    expect(schema.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
  });

  it.each<[string, Node, readonly string[], readonly string[]]>([
    ["section", defs.section, v.SECTION_FIELDS, v.REQUIRED_SECTION_FIELDS],
    ["category", defs.category, v.CATEGORY_FIELDS, v.CATEGORY_FIELDS],
    ["cookie", defs.cookie, v.COOKIE_FIELDS, v.REQUIRED_COOKIE_FIELDS],
    ["block", defs.block, v.BLOCK_FIELDS, []],
    ["banner", defs.banner, v.BANNER_FIELDS, ["enabled"]],
    ["portalBanner", defs.portalBanner, v.PORTAL_BANNER_FIELDS, v.PORTAL_BANNER_FIELDS],
    ["uiStrings", defs.uiStrings, [...UI_KEYS, ...UNIT_KEY_LIST], []],
  ])("%s has the validator's fields and required list", (_, node, fields, required) => {
    expect(keys(node)).toEqual(sorted(fields));
    expect(sorted(node.required ?? [])).toEqual(sorted(required));
    expect(node.additionalProperties).toBe(false);
  });

  it("root has the policy fields plus $schema and extends, all closed", () => {
    expect(keys(schema)).toEqual(sorted([...v.POLICY_FIELDS, "$schema", "extends"]));
    expect(schema.additionalProperties).toBe(false);
  });

  it("requires the validator's policy and service fields once merged", () => {
    const [byExtends, byId] = schema.allOf as Node[];
    const required = new Set([...byExtends.then.required, ...byExtends.else.required, ...byId.then.required]);
    expect(sorted([...required])).toEqual(sorted(v.REQUIRED_POLICY_FIELDS));
    expect(keys(defs.service)).toEqual(sorted(v.SERVICE_FIELDS));
    expect(sorted(byExtends.else.properties.services.items.required)).toEqual(sorted(v.REQUIRED_SERVICE_FIELDS));
  });

  it("uses the validator's enums and patterns", () => {
    expect(defs.category.properties.id.enum).toEqual([...CATEGORIES]);
    expect(defs.service.properties.category.enum).toEqual([...CATEGORIES]);
    expect(defs.section.properties.level.enum).toEqual([...v.SECTION_LEVELS]);
    expect(defs.cookie.properties.name.pattern).toBe(v.COOKIE_NAME_PATTERN);
    expect(defs.cookie.properties.paths.items.pattern).toBe(v.PATH_PATTERN);
    expect(schema.properties.id.pattern).toBe(v.ID_PATTERN);
    expect(defs.service.properties.id.pattern).toBe(v.ID_PATTERN);
    expect(defs.service.properties.consentKey.pattern).toBe(v.KEY_PATTERN);
    expect(schema.properties.revision.pattern).toBe(v.REVISION_PATTERN);
    expect(defs.hostSource.pattern).toBe(v.SOURCE_PATTERN);
    const scoped = (schema.properties.necessarySources.items.oneOf as Node[])[1];
    expect(scoped.properties.directives.items.enum).toEqual([...SOURCE_DIRECTIVES]);
    expect(scoped.required).toEqual([...v.SCOPED_SOURCE_FIELDS]);
    expect(schema.properties.csp.enum).toEqual([...CSP_MODES]);
    expect(schema.properties.mode.enum).toEqual([...POLICY_MODES]);
    expect(defs.localizedText.oneOf[1].propertyNames).toEqual({ $ref: "#/$defs/langTag" });
    expect(defs.langTag.pattern).toBe(LANG_TAG_PATTERN);
    expect(schema.properties.ui.propertyNames).toEqual({ $ref: "#/$defs/langTag" });
    expect(schema.properties.defaultLanguage).toMatchObject({ $ref: "#/$defs/langTag" });
    expect(defs.portalBanner.properties.hide.pattern).toBe(v.SELECTOR_PATTERN);
    expect(defs.uiStrings.properties.dir.enum).toEqual([...v.TEXT_DIRECTIONS]);
    expect(Object.keys(defs.duration.oneOf[1].properties)).toEqual([...DURATION_UNITS]);
    expect(defs.cookie.properties.duration).toEqual({ $ref: "#/$defs/duration" });
    // The schema names each string's placeholders, as the validator checks them.
    for (const [key, names] of Object.entries(PLACEHOLDERS)) {
      for (const name of names) expect(defs.uiStrings.properties[key].description).toContain(`{${name}}`);
    }
  });

  it("hostname pattern agrees with normalizeHost on samples", async () => {
    const { normalizeHost } = await import("../../src/policy/registry");
    const re = new RegExp(defs.hostname.pattern);
    for (const h of ["maia.opendatasoft.com", "a-b.c", "Maia.com", "a..b", "-a.b", "a.b.", "a.b:80", "a b", "x_y.z", "[::1]"]) {
      const valid = normalizeHost(h) === h && !h.startsWith("[");
      expect([h, re.test(h)]).toEqual([h, valid]);
    }
  });
});

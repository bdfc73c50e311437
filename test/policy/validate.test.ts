import { describe, expect, it } from "vitest";
import { createRegistry, validatePolicy } from "../../src/policy/index";
import { base, errorOf, full, type Json, tenant } from "./fixture";

/** Runs createRegistry on (base, maia tenant) after `edit`, returns the error's file, field and reason. */
function registryError(edit: (b: Json, t: Json) => void, more: Record<string, unknown> = {}) {
  const b = base();
  const t = tenant();
  edit(b, t);
  const e = errorOf(() => createRegistry({ "opendatasoft.json": b }, { "maia.json": t, ...more }));
  return [e.file, e.field, e.reason];
}

describe("validatePolicy", () => {
  it("accepts the merged base and strips $schema", () => {
    const policy = validatePolicy({ $schema: "./policy.schema.json", ...full() }, "maia.json");
    expect(policy.id).toBe("maia");
    expect("$schema" in policy).toBe(false);
  });

  it.each<[string, (p: Json) => void, string, RegExp]>([
    ["missing field", (p) => delete p.siteUrl, "siteUrl", /is required/],
    ["missing nested field", (p) => delete p.services[1].cookies[2].duration, "services[1].cookies[2].duration", /is required/],
    ["wrong type", (p) => (p.hosts = "maia.opendatasoft.com"), "hosts", /must be an array/],
    ["wrong nested type", (p) => (p.services[0].cookies[0].httpOnly = "yes"), "services[0].cookies[0].httpOnly", /true or false/],
    ["unknown field", (p) => (p.sevrices = []), "sevrices", /unknown field/],
    ["unknown nested field", (p) => (p.services[2].cookies[0].expires = "13 months"), "services[2].cookies[0].expires", /unknown field/],
    ["unknown language", (p) => (p.title.xx = "Cookie-Richtlinie"), "title.xx", /"xx" is not a language of this policy/],
    ["bad cookie name", (p) => (p.services[1].cookies[0].name = "_ga;x"), "services[1].cookies[0].name", /RFC 6265/],
    ["cookie name with space", (p) => (p.services[1].cookies[0].name = "my cookie"), "services[1].cookies[0].name", /RFC 6265/],
    ["duplicate cookie across services", (p) => p.services[3].cookies.push({ name: "_ga", duration: "1 day" }), "services[3].cookies[3].name", /already declared by service "google-analytics"/],
    ["duplicate service id", (p) => (p.services[4].id = "xiti"), "services[4].id", /duplicate service id "xiti"/],
    ["unknown category", (p) => (p.services[2].category = "functional"), "services[2].category", /not declared in categories/],
    ["category outside the enum", (p) => (p.categories[1].id = "analytics"), "categories[1].id", /not one of/],
    ["necessary key on statistics", (p) => (p.services[1].consentKey = "necessary"), "services[1].consentKey", /exactly when/],
    ["missing necessary cookie", (p) => p.services[0].cookies.splice(2, 1), "services", /"csrftoken"/],
    ["upper-case host", (p) => (p.hosts = ["Maia.opendatasoft.com"]), "hosts[0]", /lower-case host/],
    ["host with port", (p) => (p.hosts = ["maia.opendatasoft.com:443"]), "hosts[0]", /without port/],
    ["duplicate host in a tenant", (p) => p.hosts.push("maia.opendatasoft.com"), "hosts[1]", /duplicate host/],
    ["bad siteUrl", (p) => (p.siteUrl = "maia.opendatasoft.com"), "siteUrl", /not an http\(s\) URL/],
    ["ftp siteUrl", (p) => (p.siteUrl = "ftp://maia.opendatasoft.com"), "siteUrl", /not an http\(s\) URL/],
    ["origin with a path", (p) => (p.origin = "https://origin.example.org/api"), "origin", /must be an origin/],
    ["bad block host", (p) => (p.services[4].block.hosts[1] = "https://aticdn.net"), "services[4].block.hosts[1]", /host name/],
    ["bad path", (p) => (p.services[0].cookies[0].paths = ["admin"]), "services[0].cookies[0].paths[0]", /must start with \//],
    ["parent domain on a one-label host", (p) => { delete p.parentDomain; p.hosts = ["intranet"]; }, "services[1].cookies[0].domains[1]", /no domain on host "intranet": declare one in parentDomains/],
    ["parentDomains for a host not served", (p) => (p.parentDomains = { "data.example.org": "example.org" }), 'parentDomains["data.example.org"]', /is not one of hosts/],
    ["parentDomains not a parent of its host", (p) => { p.hosts.push("data.example.org"); p.parentDomains = { "data.example.org": "other.org" }; }, 'parentDomains["data.example.org"]', /must be "data.example.org" or a parent of it/],
    ["parentDomains a look-alike suffix", (p) => { p.hosts.push("data.example.org"); p.parentDomains = { "data.example.org": "le.org" }; }, 'parentDomains["data.example.org"]', /or a parent of it/],
    ["parentDomains a top-level domain", (p) => { p.hosts.push("data.example.org"); p.parentDomains = { "data.example.org": "org" }; }, 'parentDomains["data.example.org"]', /top-level domain/],
    ["parentDomains not a host name", (p) => { p.hosts.push("data.example.org"); p.parentDomains = { "data.example.org": "Example.org" }; }, 'parentDomains["data.example.org"]', /lower-case host name/],
    ["parentDomains not an object", (p) => (p.parentDomains = ["example.org"]), "parentDomains", /must be an object/],
    ["mode outside the enum", (p) => (p.mode = "dry-run"), "mode", /must be one of "enforce", "report-only"/],
    ["empty text", (p) => (p.sections[1].paragraphs[0] = { en: "" }), "sections[1].paragraphs[0].en", /non-empty string/],
    ["bad section level", (p) => (p.sections[0].level = 1), "sections[0].level", /2 or 3/],
    ["unresolved extends", (p) => (p.extends = "opendatasoft"), "extends", /resolved/],
    ["not an object", (p) => (p.services[0] = null), "services[0]", /must be an object, got null/],
    ["csp as the old boolean", (p) => (p.csp = true), "csp", /must be one of "enforce", "report-only", "off", got boolean true/],
    ["csp mode misspelt", (p) => (p.csp = "report_only"), "csp", /must be one of/],
    ["markup outside the enum", (p) => (p.markup = "none"), "markup", /must be one of "scan", "csp-only", got "none"/],
    ["markup as a boolean", (p) => (p.markup = false), "markup", /must be one of "scan", "csp-only", got boolean false/],
    ["source with a keyword", (p) => (p.necessarySources = ["'unsafe-eval'"]), "necessarySources[0]", /not a CSP host-source/],
    ["source that ends the directive", (p) => (p.necessarySources = ["cdn.example.org; script-src *"]), "necessarySources[0]", /not a CSP host-source/],
    ["bare wildcard source", (p) => (p.necessarySources = ["*"]), "necessarySources[0]", /not a CSP host-source/],
    ["source with a path", (p) => (p.necessarySources = ["cdn.example.org/x"]), "necessarySources[0]", /not a CSP host-source/],
    // Every sibling portal, widget host and corporate page would be trusted as the portal is.
    ["wildcard over the tenants' parent domain", (p) => (p.necessarySources = ["static.example.org", "*.opendatasoft.com"]), "necessarySources[1]", /covers the tenants' parent domain opendatasoft\.com/],
    ["wildcard over it, with a scheme", (p) => (p.necessarySources = ["https://*.opendatasoft.com"]), "necessarySources[0]", /covers the tenants' parent domain/],
    ["wildcard over a domain above it", (p) => (p.necessarySources = ["*.com"]), "necessarySources[0]", /covers the tenants' parent domain opendatasoft\.com/],
    ["scoped wildcard over it", (p) => (p.necessarySources = [{ source: "*.opendatasoft.com", directives: ["img-src"] }]), "necessarySources[0].source", /covers the tenants' parent domain/],
    ["scoped source, unknown directive", (p) => (p.necessarySources = [{ source: "tiles.example.org", directives: ["img-src", "navigate-to"] }]), "necessarySources[0].directives[1]", /must be one of script-src/],
    ["scoped source, no directive", (p) => (p.necessarySources = [{ source: "tiles.example.org", directives: [] }]), "necessarySources[0].directives", /must not be empty/],
    ["scoped source, stray field", (p) => (p.necessarySources = [{ source: "tiles.example.org", directives: ["img-src"], for: "x" }]), "necessarySources[0].for", /unknown field/],
    ["report sample above 1", (p) => (p.cspReportSample = 2), "cspReportSample", /from 0 to 1/],
    ["report sample as text", (p) => (p.cspReportSample = "0.5"), "cspReportSample", /from 0 to 1/],
  ])("%s", (_, edit, field, reason) => {
    const p = full();
    edit(p);
    const e = errorOf(() => validatePolicy(p, "maia.json"));
    expect([e.file, e.field]).toEqual(["maia.json", field]);
    expect(e.reason).toMatch(reason);
    expect(e.message).toBe(`maia.json: ${field}: ${e.reason}`);
  });

  it("accepts host-sources with scheme, wildcard and port", () => {
    const p = full();
    p.necessarySources = ["static.example.org", "*.tiles.example.org", "https://cdn.example.org:8443", "wss://live.example.org", "api.example.org:*"];
    p.csp = "report-only";
    p.cspReportSample = 0;
    expect(validatePolicy(p, "maia.json").necessarySources).toHaveLength(5);
  });

  it("accepts sources limited to directives, and a wildcard under the tenant's own host only", () => {
    const p = full();
    p.necessarySources = [{ source: "fonts.gstatic.com", directives: ["font-src"] }, "*.maia.opendatasoft.com", "*.tiles.example.org"];
    expect(validatePolicy(p, "maia.json").necessarySources).toHaveLength(3);
  });

  it("rejects a non-object", () => {
    const e = errorOf(() => validatePolicy([], "x.json"));
    expect(e.message).toBe("x.json: (root): must be an object, got an array");
  });
});

describe("createRegistry errors name the file that holds the mistake", () => {
  it.each<[string, (b: Json, t: Json) => void, string, string, RegExp]>([
    ["unknown extends", (_, t) => (t.extends = "opendatasoftt"), "maia.json", "extends", /unknown base "opendatasoftt" \(known: opendatasoft\)/],
    ["tenant typo", (_, t) => (t.siteURL = t.siteUrl), "maia.json", "siteURL", /unknown field/],
    ["tenant missing host list", (_, t) => delete t.hosts, "maia.json", "hosts", /is required/],
    ["id not the file name", (_, t) => (t.id = "maiaa"), "maia.json", "id", /must match the file name \("maia"\)/],
    ["base typo", (b) => (b.categoriez = []), "base/opendatasoft.json", "categoriez", /unknown field/],
    ["bad cookie in base", (b) => (b.services[2].cookies[1].name = "_pk ses."), "base/opendatasoft.json", "services[2].cookies[1].name", /RFC 6265/],
    ["bad cookie in a tenant's new service", (_, t) => (t.services = [{ id: "x", consentKey: "x", category: "statistics", provider: "X", function: "f", purpose: "p", cookies: [{ name: "a,b", duration: "1 day" }] }]), "maia.json", "services[0].cookies[0].name", /RFC 6265/],
    ["bad host added to a base service", (_, t) => (t.services = [{ id: "matomo", block: { hosts: ["stats.example.org", "Bad Host"] } }]), "maia.json", "services[0].block.hosts[1]", /host name/],
    ["bad field in a tenant override", (_, t) => (t.services = [{ id: "xiti", category: "ads" }]), "maia.json", "services[0].category", /not declared/],
    ["base error under a tenant override", (b, t) => { b.services[3].provider = ""; t.services = [{ id: "xiti", block: { hosts: ["x.example"] } }]; }, "base/opendatasoft.json", "services[3].provider", /non-empty/],
    ["base error beside tenant services", (b, t) => { b.services[2].cookies[0].name = "_pk id."; t.services = [{ id: "xiti", block: { hosts: ["x.example"] } }]; }, "base/opendatasoft.json", "services[2].cookies[0].name", /RFC 6265/],
    ["bad source added by a tenant", (_, t) => (t.necessarySources = ["ok.example.org", "Bad Host"]), "maia.json", "necessarySources[1]", /host-source/],
    ["bad source in the base", (b) => (b.necessarySources[2] = "x y"), "base/opendatasoft.json", "necessarySources[2]", /host-source/],
    ["parent-domain wildcard in the base", (b) => (b.necessarySources[0] = "*.opendatasoft.com"), "base/opendatasoft.json", "necessarySources[0]", /covers the tenants' parent domain/],
    ["tenant without extends, stray field", (_, t) => { for (const k of Object.keys(t)) delete t[k]; t.length = 0; }, "maia.json", "length", /unknown field/],
  ])("%s", (_, edit, file, field, reason) => {
    const [f, fld, r] = registryError(edit);
    expect([f, fld]).toEqual([file, field]);
    expect(r).toMatch(reason);
  });

  it("rejects two tenants claiming the same host", () => {
    const other = { ...tenant(), id: "other", hosts: ["other.opendatasoft.com", "maia.opendatasoft.com"] };
    const [file, field, reason] = registryError(() => {}, { "other.json": other });
    // Files load in name order: maia.json claims the host first.
    expect([file, field, reason]).toEqual(["other.json", "hosts[1]", 'host "maia.opendatasoft.com" is already claimed by maia.json']);
  });

  it("rejects bad file names, non-objects and nested extends", () => {
    expect(errorOf(() => createRegistry({}, { "Maia.json": {} })).file).toBe("Maia.json");
    expect(errorOf(() => createRegistry({}, { "maia.json": [] })).reason).toBe("must be a JSON object");
    const e = errorOf(() => createRegistry({ "a.json": { extends: "b" } }, {}));
    expect([e.file, e.field]).toEqual(["base/a.json", "extends"]);
  });
});

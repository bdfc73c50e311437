// The policies the worker ships (src/policy/shipped.generated.ts, written by scripts/policies.mjs)
// are the policy files as the validator merged them, and a damaged copy stops the worker at
// start-up with a clear error instead of reaching a request.
import { describe, expect, it } from "vitest";
import { canonicalJson, policyHash } from "../../src/proof/policy-hash";
import { BASES, TENANTS } from "../../src/policy/bundled.generated";
import { policyChecksum } from "../../src/policy/checksum";
import { createRegistry, loadPolicies, POLICIES, type TenantPolicy } from "../../src/policy/index";
import { shippedRegistry } from "../../src/policy/shipped";
import { POLICY_CHECKSUM, POLICY_DATA } from "../../src/policy/shipped.generated";

const fromFiles = () => createRegistry(BASES, TENANTS);
type Edit = [string, (p: TenantPolicy[]) => void];

describe("shipped policies", () => {
  it("are the policy files merged and validated, tenant for tenant, in file-name order", async () => {
    const files = fromFiles();
    expect(POLICIES.all.map((p) => p.id)).toEqual(files.all.map((p) => p.id));
    expect(POLICY_DATA).toEqual(loadPolicies(BASES, TENANTS));
    for (const shipped of POLICIES.all) {
      const built = files.byId(shipped.id)!;
      expect(canonicalJson(shipped)).toBe(canonicalJson(built));
      // The proof of consent names the same policy hash as before the policies were shipped merged.
      expect(await policyHash(shipped)).toBe(await policyHash(built));
      for (const host of shipped.hosts) expect(POLICIES.byHost(host)).toBe(shipped);
      for (const s of built.services) for (const k of s.cookies) expect(shipped.classify(k.name)?.service.id).toBe(built.classify(k.name)?.service.id);
    }
  });

  it("are frozen all the way down, shared parts included", () => {
    const maia = POLICIES.byId("maia")!;
    expect(Object.isFrozen(maia.services[0].cookies[0])).toBe(true);
    expect(Object.isFrozen(POLICY_DATA[POLICY_DATA.length - 1].sections)).toBe(true);
    expect(() => (maia.hosts as string[]).push("evil.example")).toThrow(TypeError);
  });

  it("carry the checksum of their data", () => {
    expect(policyChecksum(POLICY_DATA)).toBe(POLICY_CHECKSUM);
    expect(POLICY_CHECKSUM).toMatch(/^[0-9a-f]{8}$/);
    // An unchanged copy passes and gives the same registry.
    const copy = shippedRegistry(structuredClone(POLICY_DATA) as TenantPolicy[], POLICY_CHECKSUM);
    expect(copy.all.map((p) => canonicalJson(p))).toEqual(POLICIES.all.map((p) => canonicalJson(p)));
  });

  it("compile a tenant on its first lookup only: start-up walks no policy", () => {
    const copy = structuredClone(POLICY_DATA) as TenantPolicy[];
    const registry = shippedRegistry(copy, POLICY_CHECKSUM);
    const i = copy.findIndex((p) => p.id === "maia");
    const j = copy.findIndex((p) => p.id !== "maia");
    expect(copy.some((p) => Object.isFrozen(p))).toBe(false);
    const maia = registry.byHost(copy[i].hosts[0])!;
    expect(maia.id).toBe("maia");
    expect(registry.byId("maia")).toBe(maia);
    expect(Object.isFrozen(copy[i])).toBe(true);
    expect(Object.isFrozen(copy[j])).toBe(false);
    expect(registry.byId(copy[j].id)!.id).toBe(copy[j].id);
    expect(Object.isFrozen(copy[j])).toBe(true);
    expect(registry.byHost("nobody.example.org")).toBeUndefined();
  });

  const edits: Edit[] = [
    ["a cookie renamed", (p) => void ((p[0].services[0].cookies[0] as { name: string }).name = "tracker")],
    ["a tracking service moved to necessary", (p) => void (p[0].services.find((s) => s.category !== "necessary")!.category = "necessary")],
    ["the CSP turned off", (p) => void (p[0].csp = "off")],
    ["a host added", (p) => void p[0].hosts.push("evil.example")],
    ["a tenant dropped", (p) => void p.pop()],
    ["one character of the text", (p) => void (p[0].title = typeof p[0].title === "string" ? `${p[0].title} ` : { ...p[0].title, en: `${p[0].title.en} ` })],
  ];
  it.each(edits)("refuse to start on a damaged copy: %s", (_, edit) => {
    const damaged = structuredClone(POLICY_DATA) as TenantPolicy[];
    edit(damaged);
    expect(() => shippedRegistry(damaged, POLICY_CHECKSUM)).toThrow(
      /^consent-edge: src\/policy\/shipped\.generated\.ts does not match its checksum \([0-9a-f]{8}, written as [0-9a-f]{8}\): .*run `npm run policies`/,
    );
  });

  it("refuse to start on data that cannot even be read", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => shippedRegistry([cyclic] as unknown as TenantPolicy[], POLICY_CHECKSUM)).toThrow(/\(unreadable, written as/);
  });
});

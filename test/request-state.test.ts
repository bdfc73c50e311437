// resolveTenant's per-isolate memo of Host values: the same answers as the lookup itself, per
// registry and dev tenant, and bounded (invented Host values are looked up, never remembered).
import { describe, expect, it } from "vitest";
import { BASES } from "../src/policy/bundled.generated";
import { createRegistry } from "../src/policy/load";
import { POLICIES } from "../src/policy";
import { resolveTenant } from "../src/request-state";
import { MAIA } from "./helpers";

const at = (host: string | null) => new Request("https://fallback.invalid/", host === null ? {} : { headers: { host } });
const maia = POLICIES.byHost(MAIA)!;

describe("resolveTenant", () => {
  it("answers a known host, its spellings, an unknown host and an invalid one, the same on a second request", () => {
    for (let round = 0; round < 2; round++) {
      expect(resolveTenant(at(MAIA), { registry: POLICIES })).toEqual({ policy: maia, host: MAIA });
      expect(resolveTenant(at(`${MAIA.toUpperCase()}.:443`), { registry: POLICIES })).toEqual({ policy: maia, host: MAIA });
      expect(resolveTenant(at("sibling.example.org"), { registry: POLICIES })).toMatchObject({ status: 421 });
      expect(resolveTenant(at("bad host"), { registry: POLICIES })).toMatchObject({ status: 400 });
    }
  });

  it("keeps loopback hosts apart by dev tenant: served as DEV_TENANT when set, refused when not", () => {
    const dev = maia.id;
    for (let round = 0; round < 2; round++) {
      expect(resolveTenant(at("localhost:8787"), { registry: POLICIES, devTenant: dev })).toEqual({ policy: maia, host: "localhost" });
      expect(resolveTenant(at("localhost:8787"), { registry: POLICIES })).toMatchObject({ status: 421 });
    }
  });

  it("keeps registries apart: another registry's tenant for the same Host", () => {
    const other = createRegistry(BASES, { "elsewhere.json": { id: "elsewhere", extends: "opendatasoft", hosts: [MAIA], siteUrl: `https://${MAIA}` } });
    expect(resolveTenant(at(MAIA), { registry: POLICIES })).toMatchObject({ policy: { id: maia.id } });
    expect(resolveTenant(at(MAIA), { registry: other })).toMatchObject({ policy: { id: "elsewhere" } });
  });

  it("still answers every Host once the memo is full, and shares frozen results", () => {
    for (let i = 0; i < 600; i++) expect(resolveTenant(at(`x${i}.invalid`), { registry: POLICIES })).toMatchObject({ status: 421 });
    expect(resolveTenant(at(MAIA), { registry: POLICIES })).toEqual({ policy: maia, host: MAIA });
    const found = resolveTenant(at(MAIA), { registry: POLICIES });
    expect(Object.isFrozen(found)).toBe(true);
    expect(resolveTenant(at(null), { registry: POLICIES })).toMatchObject({ status: 421 });
  });
});

// Policy data the policy tests edit: the bundled base, a tenant on it, the two merged, and the
// PolicyError a call throws.
import { BASES } from "../../src/policy/bundled.generated";
import { PolicyError } from "../../src/policy/index";

export type Json = Record<string, any>;

/** A fresh copy of the bundled Opendatasoft base policy. */
export const base = (): Json => structuredClone(BASES["opendatasoft.json"]) as Json;

/** A tenant file extending the base (maia). */
export const tenant = (): Json => ({ extends: "opendatasoft", id: "maia", hosts: ["maia.opendatasoft.com"], siteUrl: "https://maia.opendatasoft.com" });

/** The base and the maia tenant merged into one complete policy, as validatePolicy takes it. */
export const full = (): Json => {
  const { $schema: _, ...rest } = base();
  return { ...rest, id: "maia", hosts: ["maia.opendatasoft.com"], siteUrl: "https://maia.opendatasoft.com" };
};

/** The PolicyError `fn` throws; any other outcome fails the test. */
export function errorOf(fn: () => unknown): PolicyError {
  try {
    fn();
  } catch (e) {
    if (e instanceof PolicyError) return e;
    throw e;
  }
  throw new Error("expected a PolicyError");
}

/**
 * The registry of the policies the worker ships: merged with their base and validated at build
 * time (scripts/policies.mjs runs src/policy/load.ts), so the worker carries no validator. At
 * start-up it only checks that the data is what the build wrote (the checksum), then freezes,
 * compiles and indexes it. Pure; no I/O.
 */
import { policyChecksum } from "./checksum";
import { compilePolicy } from "./compile";
import { deepFreeze, indexPolicies, type PolicyRegistry } from "./registry";
import type { TenantPolicy } from "./types";

/**
 * Throws at start-up (the worker then does not start, as with an invalid policy file) when the
 * data does not match the checksum the build computed: a request never meets a policy that was
 * not validated.
 */
export function shippedRegistry(data: readonly TenantPolicy[], checksum: string): PolicyRegistry {
  let actual: string;
  try {
    actual = policyChecksum(data);
  } catch {
    actual = "unreadable";
  }
  if (actual !== checksum) {
    throw new Error(
      `consent-edge: src/policy/shipped.generated.ts does not match its checksum (${actual}, written as ${checksum}): ` +
        "it was changed after `npm run policies` validated it; run `npm run policies` to regenerate it from policies/",
    );
  }
  return indexPolicies(data.map((p) => compilePolicy(deepFreeze(p))));
}

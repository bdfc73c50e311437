/** The tenant policies bundled from policies/ (validated at build time, checked and compiled once per isolate), and the policy API. */
import { POLICY_CHECKSUM, POLICY_DATA } from "./shipped.generated";
import { shippedRegistry } from "./shipped";

/** Every tenant's compiled policy, by id and by host. Building it throws on a damaged generated file. */
export const POLICIES = shippedRegistry(POLICY_DATA, POLICY_CHECKSUM);

export { compilePolicy } from "./compile";
export { createRegistry, loadPolicies } from "./load";
export { indexPolicies, normalizeHost, type PolicyRegistry } from "./registry";
export * from "./types";
export { NECESSARY_COOKIES, NECESSARY_CONSENT_KEY, PolicyError, validatePolicy } from "./validate";

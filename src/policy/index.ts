/** The tenant policies bundled from policies/, validated and compiled once per isolate, and the policy API. */
import { BASES, TENANTS } from "./bundled.generated";
import { createRegistry } from "./registry";

/** Every tenant's compiled policy, by id and by host. Building it throws PolicyError on a bad file. */
export const POLICIES = createRegistry(BASES, TENANTS);

export { compilePolicy } from "./compile";
export { createRegistry, normalizeHost, type PolicyRegistry } from "./registry";
export * from "./types";
export { NECESSARY_COOKIES, NECESSARY_CONSENT_KEY, PolicyError, validatePolicy } from "./validate";

// Types of policy-code.mjs, for the TypeScript tests.
import type { createRegistry, loadPolicies } from "../../src/policy/load";
import type { findJsonSyntaxError } from "../../src/policy/json-syntax";
import type { policyChecksum } from "../../src/policy/checksum";

/** src/policy's loading, syntax locator and checksum, bundled for Node. */
export function loadPolicyCode(): Promise<{
  createRegistry: typeof createRegistry;
  loadPolicies: typeof loadPolicies;
  findJsonSyntaxError: typeof findJsonSyntaxError;
  policyChecksum: typeof policyChecksum;
}>;

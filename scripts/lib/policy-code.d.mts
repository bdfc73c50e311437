// Types of policy-code.mjs, for the TypeScript tests.
import type { createRegistry, loadPolicies } from "../../src/policy/load";
import type { findJsonSyntaxError } from "../../src/policy/json-syntax";
import type { policyChecksum } from "../../src/policy/checksum";
import type { compilePolicy } from "../../src/policy/compile";
import type { indexConsentPolicy } from "../../src/consent/consent-index";
import type { canonicalJson } from "../../src/proof/policy-hash";
import type * as kvLayout from "../../src/policy-source/layout";

/** src/policy's loading, syntax locator and checksum, bundled for Node. */
export function loadPolicyCode(): Promise<{
  createRegistry: typeof createRegistry;
  loadPolicies: typeof loadPolicies;
  findJsonSyntaxError: typeof findJsonSyntaxError;
  policyChecksum: typeof policyChecksum;
  compilePolicy: typeof compilePolicy;
  indexConsentPolicy: typeof indexConsentPolicy;
  canonicalJson: typeof canonicalJson;
  kvLayout: typeof kvLayout;
}>;

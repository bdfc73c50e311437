// The worker's own policy code (src/policy: loading and validation, the JSON syntax locator and
// the shipped data's checksum), bundled for Node by esbuild, so the scripts validate policies
// exactly as the worker's build does. Plain Node ESM.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");

/**
 * `{ createRegistry, loadPolicies, findJsonSyntaxError, policyChecksum, compilePolicy, indexConsentPolicy,
 * canonicalJson, kvLayout }` from src/, bundled once per call.
 */
export async function loadPolicyCode() {
  const bundle = await build({
    stdin: {
      contents: [
        'export { createRegistry, loadPolicies } from "./src/policy/load.ts";',
        'export { findJsonSyntaxError } from "./src/policy/json-syntax.ts";',
        'export { policyChecksum } from "./src/policy/checksum.ts";',
        'export { compilePolicy } from "./src/policy/compile.ts";',
        'export { indexConsentPolicy } from "./src/consent/consent-index.ts";',
        'export { canonicalJson } from "./src/proof/policy-hash.ts";',
        'export * as kvLayout from "./src/policy-source/layout.ts";',
      ].join("\n"),
      resolveDir: root,
      loader: "ts",
    },
    bundle: true,
    write: false,
    format: "esm",
    platform: "node",
    target: "node20",
    logLevel: "silent",
  });
  return import(`data:text/javascript;base64,${Buffer.from(bundle.outputFiles[0].text).toString("base64")}`);
}

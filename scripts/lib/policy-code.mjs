// The worker's own policy code (src/policy: the registry and the JSON syntax locator), bundled for
// Node by esbuild, so the scripts validate policies exactly as the worker does. Plain Node ESM.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");

/** `{ createRegistry, findJsonSyntaxError }` from src/policy, bundled once per call. */
export async function loadPolicyCode() {
  const bundle = await build({
    stdin: {
      contents:
        'export { createRegistry } from "./src/policy/registry.ts"; export { findJsonSyntaxError } from "./src/policy/json-syntax.ts";',
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

// vitest globalSetup (runs in Node): a real origin server — the bundled demo portal with its
// test fixtures — that the worker under test proxies to.
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    originUrl: string;
  }
}

export default async function setup(project: TestProject) {
  // TEMPORARY while demo/origin.mjs is being written: fall back to a closed port.
  let mod: { startOrigin?: (o: object) => Promise<{ url: string; close(): Promise<void> }> } = {};
  try {
    mod = await import("../../demo/origin.mjs" as string);
  } catch {
    console.warn("demo/origin.mjs missing: integration tests will fail");
  }
  if (!mod.startOrigin) {
    project.provide("originUrl", "http://127.0.0.1:9");
    return;
  }
  const origin = await mod.startOrigin({ port: 0, fixtures: true });
  project.provide("originUrl", origin.url);
  return async () => {
    await origin.close();
  };
}

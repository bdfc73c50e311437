// vitest globalSetup (runs in Node): a real origin server — the bundled demo portal with its
// test fixtures — that the worker under test proxies to.
import type { TestProject } from "vitest/node";
import { startOrigin } from "../../demo/origin.mjs";

declare module "vitest" {
  export interface ProvidedContext {
    originUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const origin = await startOrigin({ port: 0, fixtures: true });
  project.provide("originUrl", origin.url);
  return async () => {
    await origin.close();
  };
}

// vitest globalSetup (runs in Node): a real origin server — the bundled demo portal with the
// routes only tests need (test/fixtures/origin.mjs) — that the worker under test proxies to.
import type { TestProject } from "vitest/node";
import { startTestOrigin } from "../fixtures/origin.mjs";

declare module "vitest" {
  export interface ProvidedContext {
    originUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const origin = await startTestOrigin({ port: 0 });
  project.provide("originUrl", origin.url);
  return async () => {
    await origin.close();
  };
}

// The middleware is a library: a small Hono app outside this repository (test/fixtures/outside-app)
// type-checks against the package as installed (node_modules/consent-edge → this checkout),
// with its own Env and without this worker's ambient types (no global `Env`, no vitest types).
import { cp, mkdir, symlink } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ROOT, runNode, tempDir } from "./tmp-repo";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

describe("consent-edge/middleware in an outside project", () => {
  it("type-checks with tsc", { timeout: 120_000 }, async () => {
    const tmp = await tempDir("outside");
    cleanups.push(tmp.cleanup);
    const dir = join(tmp.dir, "app");
    await cp(join(ROOT, "test/fixtures/outside-app"), dir, { recursive: true });
    const modules = join(dir, "node_modules");
    await mkdir(join(modules, "@cloudflare"), { recursive: true });
    await symlink(ROOT, join(modules, "consent-edge"), "dir");
    await symlink(join(ROOT, "node_modules/hono"), join(modules, "hono"), "dir");
    await symlink(join(ROOT, "node_modules/@cloudflare/workers-types"), join(modules, "@cloudflare/workers-types"), "dir");
    const tsc = join(ROOT, "node_modules/typescript/bin/tsc");
    const r = await runNode([tsc, "-p", join(dir, "tsconfig.json")], { cwd: dir, timeoutMs: 110_000 });
    expect(r.stdout + r.stderr).toBe("");
    expect(r.code).toBe(0);
  });
});

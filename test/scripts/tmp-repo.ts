// Temporary copies of the repository (or of its policies/) for the script tests: what an
// operator's checkout looks like after they add a file, without touching this one.
import { execFile } from "node:child_process";
import { cp, mkdtemp, readdir, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a Node script with the Node running the tests (node_modules' Node 24), never throwing. */
export function runNode(args: string[], options: { cwd?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      args,
      { cwd: options.cwd ?? ROOT, timeout: options.timeoutMs ?? 60_000, env: { ...process.env, ...options.env }, maxBuffer: 32 << 20 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

/** A fresh temporary directory; `cleanup` removes it. */
export async function tempDir(prefix: string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `consent-edge-${prefix}-`));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A copy of the repository's policies/ folder (base/ included). */
export async function copyPolicies(into: string): Promise<string> {
  const dir = join(into, "policies");
  await cp(join(ROOT, "policies"), dir, { recursive: true });
  return dir;
}

const SKIP = new Set([".git", "node_modules", ".wrangler", "dist", "test-results", "bench", ".ci"]);

/** A copy of the repository's working tree, sharing this checkout's node_modules through a symlink. */
export async function copyRepo(into: string): Promise<string> {
  const dir = join(into, "repo");
  await cp(ROOT, dir, {
    recursive: true,
    filter: (src) => {
      const rel = src.slice(ROOT.length).replace(/^\/+/, "");
      return !SKIP.has(rel.split("/")[0]);
    },
  });
  await symlink(join(ROOT, "node_modules"), join(dir, "node_modules"), "dir");
  return dir;
}

/** The tenant file policies/README.md shows under "Adding a tenant": [file name, JSON text]. */
export async function documentedTenant(readme: string): Promise<[string, string]> {
  const section = readme.slice(readme.indexOf("## Adding a tenant"));
  const block = /```json\n([\s\S]*?)```/.exec(section);
  if (!block) throw new Error("policies/README.md shows no tenant file under 'Adding a tenant'");
  const id = (JSON.parse(block[1]) as { id: string }).id;
  return [`${id}.json`, block[1]];
}

export async function listJson(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((n) => n.endsWith(".json") && n !== "policy.schema.json");
}

// Every relative link in the repository's Markdown (README, SECURITY.md, docs/, policies/,
// bench/ and any other .md) resolves: the file or folder exists, and a #fragment names a heading
// of the target. docs/README.md lists every page of docs/. The checker is tested on broken links.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { brokenLinks } from "./markdown-links";
import { ROOT } from "./tmp-repo";

const SKIP = new Set([".git", "node_modules", ".wrangler", "dist", "test-results", "results"]);

function markdownFiles(dir = ROOT): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(e.name)) continue;
    const path = join(dir, e.name);
    if (e.isDirectory()) out.push(...markdownFiles(path));
    else if (e.name.endsWith(".md")) out.push(relative(ROOT, path));
  }
  return out.sort();
}

describe("the repository's Markdown links", () => {
  it("all resolve, to files and to headings", () => {
    const files = new Map(markdownFiles().map((f) => [f, readFileSync(join(ROOT, f), "utf8")]));
    expect([...files.keys()]).toEqual(expect.arrayContaining(["README.md", "SECURITY.md", "docs/README.md", "policies/README.md"]));
    const { checked, broken } = brokenLinks(files, (p) => existsSync(join(ROOT, p)));
    expect(broken).toEqual([]);
    // The front door links to the docs: the check did look at links.
    expect(checked.filter((l) => l.file === "README.md").length).toBeGreaterThan(10);
  });

  it("docs/README.md lists every page of docs/", () => {
    const index = readFileSync(join(ROOT, "docs/README.md"), "utf8");
    const pages = readdirSync(join(ROOT, "docs")).filter((f) => f.endsWith(".md") && f !== "README.md");
    const unlisted = pages.filter((p) => !index.includes(`](${p})`) && !index.includes(`](${p}#`));
    expect(unlisted, "add a line for each page to docs/README.md").toEqual([]);
    expect(pages.length).toBeGreaterThan(0);
  });

  it("the checker names a missing file, a missing heading and a link out of the repository", () => {
    const files = new Map([
      ["README.md", "# Title\n\nSee [a](docs/a.md#the-npm-run-report-command), [b](docs/b.md), [c](docs/a.md#nope), [d](#title), [e](../x.md), [f](https://example.org/y.md), [g](docs/)\n\n```\n[h](missing.md)\n```\n"],
      ["docs/a.md", "# A\n\n## The `npm run report` command\n\n<a href=\"../gone.md\">gone</a>\n"],
    ]);
    const exists = (p: string) => files.has(p) || p === "docs";
    const { broken, checked } = brokenLinks(files, exists);
    expect(broken.map((b) => `${b.file} ${b.href}: ${b.reason}`)).toEqual([
      "README.md docs/b.md: no file or folder docs/b.md",
      "README.md docs/a.md#nope: docs/a.md has no heading or anchor #nope",
      "README.md ../x.md: leads outside the repository",
      "docs/a.md ../gone.md: no file or folder gone.md",
    ]);
    // The external link and the one inside a code block are not checked; the rest are.
    expect(checked.map((l) => l.href)).not.toContain("https://example.org/y.md");
    expect(checked.map((l) => l.href)).not.toContain("missing.md");
    expect(checked).toHaveLength(7);
  });
});

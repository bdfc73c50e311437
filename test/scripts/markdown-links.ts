// The relative links of Markdown files: every one must lead to a file or folder of the
// repository and, with a #fragment into a Markdown file, to one of its headings as GitHub
// names them (github-slugger over the heading's text) or to an explicit `id`/`name` anchor.
// Pure: takes the files' texts and a way to ask whether a path exists; no I/O of its own.
import GithubSlugger from "github-slugger";
import { Lexer, marked, type Token, type Tokens } from "marked";
import { dirname, join, normalize } from "node:path";

export interface Link {
  /** The Markdown file holding the link, relative to the repository root. */
  readonly file: string;
  readonly href: string;
}

export interface BrokenLink extends Link {
  readonly reason: string;
}

const SCHEME = /^[a-z][a-z0-9+.-]*:|^\/\//i;
const HTML_REF = /<(?:a|img)\b[^>]*?\s(?:href|src)\s*=\s*["']([^"']+)["']/gi;
const HTML_ANCHOR = /<[a-z][^>]*?\s(?:id|name)\s*=\s*["']([^"']+)["']/gi;

/** The text a heading shows (code spans, emphasis and link texts without their markup). */
function plain(tokens: Token[] | undefined): string {
  let out = "";
  for (const t of tokens ?? []) {
    if ("tokens" in t && Array.isArray(t.tokens) && t.tokens.length) out += plain(t.tokens);
    else if (t.type !== "html") out += "text" in t && typeof t.text === "string" ? t.text : "";
  }
  return out;
}

/** Every link (Markdown and inline HTML) and every anchor a Markdown text defines. */
export function scan(text: string): { hrefs: string[]; anchors: Set<string> } {
  const tokens = new Lexer({ gfm: true }).lex(text);
  const hrefs: string[] = [];
  const anchors = new Set<string>();
  const slugger = new GithubSlugger();
  marked.walkTokens(tokens, (t) => {
    if (t.type === "link" || t.type === "image") hrefs.push((t as Tokens.Link).href);
    else if (t.type === "heading") anchors.add(slugger.slug(plain((t as Tokens.Heading).tokens)));
    else if (t.type === "html") {
      const raw = (t as Tokens.HTML).raw;
      for (const m of raw.matchAll(HTML_REF)) hrefs.push(m[1]!);
      for (const m of raw.matchAll(HTML_ANCHOR)) anchors.add(m[1]!);
    }
  });
  // Reference definitions ([x]: target) that a link used are already links; unused ones are checked too.
  for (const def of Object.values((tokens as unknown as { links: Record<string, { href: string }> }).links ?? {})) hrefs.push(def.href);
  return { hrefs, anchors };
}

/**
 * The broken relative links among `files` (path relative to the root → text). `exists` says
 * whether a root-relative path is a file or folder; anchors are checked in Markdown targets only.
 */
export function brokenLinks(files: ReadonlyMap<string, string>, exists: (path: string) => boolean): { checked: Link[]; broken: BrokenLink[] } {
  const scans = new Map<string, ReturnType<typeof scan>>();
  const scanOf = (file: string) => {
    let s = scans.get(file);
    if (!s) scans.set(file, (s = scan(files.get(file) ?? "")));
    return s;
  };
  const checked: Link[] = [];
  const broken: BrokenLink[] = [];
  for (const file of files.keys()) {
    for (const href of scanOf(file).hrefs) {
      if (SCHEME.test(href)) continue;
      checked.push({ file, href });
      const hash = href.indexOf("#");
      const pathPart = decodeURI(hash < 0 ? href : href.slice(0, hash)).split("?")[0]!;
      const fragment = hash < 0 ? "" : decodeURIComponent(href.slice(hash + 1));
      const target = pathPart === "" ? file : normalize(pathPart.startsWith("/") ? pathPart.slice(1) : join(dirname(file), pathPart)).replace(/\/$/, "");
      if (target.startsWith("..")) {
        broken.push({ file, href, reason: "leads outside the repository" });
        continue;
      }
      if (pathPart !== "" && !exists(target)) {
        broken.push({ file, href, reason: `no file or folder ${target}` });
        continue;
      }
      if (fragment && target.endsWith(".md")) {
        if (!files.has(target)) broken.push({ file, href, reason: `${target} is not among the Markdown files read` });
        else if (!scanOf(target).anchors.has(fragment)) broken.push({ file, href, reason: `${target} has no heading or anchor #${fragment}` });
      }
    }
  }
  return { checked, broken };
}

/**
 * The rewriter's full coverage, for pages no enforced CSP protects (a tenant whose `csp` is
 * "report-only" or "off"): every element is looked at once (`*`), since anything can carry a
 * loading attribute, an event handler or a style. What it neutralises, as the browser reads
 * the markup (character references decoded, CSS escapes undone, SVG attributes included):
 *
 * - URLs of denied services in `src`, `srcset`, `href` (anything but a plain link),
 *   `xlink:href`, `poster`, `background`, `data` (`<object>`), `ping`, `imagesrcset`,
 *   `codebase`, SMIL `to`/`from`/`values`/`by`, and `<base href>`;
 * - `javascript:` URLs, event handlers (`on*`) and `style` attributes whose code or CSS names a
 *   denied host or marker; `data:` documents in frames, objects and embeds;
 * - `<style>` text (`@import`, `url()`), `<iframe srcdoc>` (rewritten as a page of its own),
 *   `<noscript>` (raw text to the parser, rewritten as a fragment), meta refresh, resource hints.
 *
 * It costs one JavaScript call per element, which is why the enforced CSP path does without it.
 */
import { decodeAttribute, decodeReferences, matchSrcset, matchUrl, scanCode, UNREADABLE } from "./match";
import { type BlockingContext, addScripts, labelOf, linkHintBlocked, moveAttribute, neutraliseLink, refreshBlocked } from "./scripts";

/** `<style>` text held back for inspection; past it the rest is dropped (the page loses that CSS, never leaks). */
export const STYLE_BUFFER_LIMIT = 256 * 1024;
/** How deep `srcdoc` documents inside `srcdoc` documents are rewritten; deeper ones are dropped. */
const MAX_SRCDOC_DEPTH = 3;

const NAVIGATION_ONLY = new Set(["a", "area"]);
const FRAMES = new Set(["iframe", "frame", "object", "embed"]);
const SMIL = new Set(["set", "animate", "animatemotion", "animatetransform", "animatecolor"]);

/** `url(...)`, `src(...)`, `image(...)` arguments and quoted strings of a CSS text, CSS escapes undone. */
function cssUrls(css: string): string[] {
  const text = cssUnescape(css.replace(/\/\*[\s\S]*?(\*\/|$)/g, ""));
  const out: string[] = [];
  for (const m of text.matchAll(/(?:url|src|image|image-set|-webkit-image-set)\(\s*(?:"([^"]*)"|'([^']*)'|([^)"'\s]*))/gi)) out.push(m[1] ?? m[2] ?? m[3] ?? "");
  for (const m of text.matchAll(/"([^"]*)"|'([^']*)'/g)) out.push(m[1] ?? m[2] ?? "");
  return out;
}

/** CSS Syntax § 4.3.7: `\` + up to six hex digits (+ one whitespace), or `\` + any other character. */
function cssUnescape(css: string): string {
  return css.replace(/\\(?:([0-9a-fA-F]{1,6})[\t\n\f\r ]?|([^\n\r\f]))/g, (_, hex, ch) => {
    if (hex === undefined) return ch;
    const n = Number.parseInt(hex, 16);
    return n === 0 || n > 0x10ffff || (n >= 0xd800 && n <= 0xdfff) ? "\ufffd" : String.fromCodePoint(n);
  });
}

export function cssBlocked(css: string, ctx: BlockingContext): string | undefined {
  for (const u of cssUrls(css)) {
    const id = u ? matchUrl(u, ctx.d.blockers) : undefined;
    if (id) return id;
  }
  return scanCode(cssUnescape(css), ctx.d.blockers, { hosts: true });
}

/** A URL attribute's verdict: a denied service, `javascript:` code naming one, or an unreadable host. */
function urlBlocked(raw: string, ctx: BlockingContext): string | undefined {
  const id = matchUrl(raw, ctx.d.blockers);
  if (id) return id;
  const decoded = decodeAttribute(raw).replace(/[\t\n\r]/g, "").trimStart();
  if (/^javascript:/i.test(decoded)) return scanCode(decoded, ctx.d.blockers, { hosts: true });
  return undefined;
}

export function addFullCoverage(rewriter: HTMLRewriter, ctx: BlockingContext, depth = 0): void {
  rewriter.on("*", {
    element(e) {
      const tag = e.tagName;
      // Labels on scripts are the script handler's (it leaves inert types alone).
      let blocked: string | undefined = tag === "script" ? undefined : labelOf(e, ctx);
      let srcdoc: Promise<void> | undefined;
      const block = (name: string, id: string) => {
        moveAttribute(e, name, `data-blocked-${name.replace(":", "-")}`);
        blocked ??= id;
      };
      if (blocked && tag !== "script") {
        for (const name of ["src", "srcset", "href", "xlink:href", "data", "poster", "srcdoc", "imagesrcset"]) moveAttribute(e, name, `data-blocked-${name.replace(":", "-")}`);
      }
      for (const [name, raw] of [...e.attributes]) {
        if (name.startsWith("on")) {
          const id = scanCode(decodeAttribute(raw), ctx.d.blockers, { hosts: true });
          if (id) block(name, id);
          continue;
        }
        switch (name) {
          case "style": {
            const id = cssBlocked(decodeAttribute(raw), ctx);
            if (id) block(name, id);
            break;
          }
          case "src":
          case "href":
          case "xlink:href":
          case "data":
          case "poster":
          case "background":
          case "codebase":
          case "action":
          case "formaction": {
            // Script URLs are the script handler's; plain links only navigate, unless to javascript:.
            // A form's action is not a plain navigation: it carries the form's fields (into a hidden
            // frame, it is a beacon), so one to a denied service is blocked like a fetch; the form
            // then goes to about:blank, where nothing is sent. (Without an action it would post to
            // the page itself: its fields to the origin, and a page that submits its form into a
            // frame on load would nest itself frame in frame, without end.)
            if (tag === "script" && name !== "data") break;
            if (name === "data" && tag !== "object") break;
            const navigation = NAVIGATION_ONLY.has(tag) && name !== "action" && name !== "formaction";
            if (navigation && !/^\s*javascript:/i.test(decodeAttribute(raw).replace(/[\t\n\r]/g, ""))) break;
            if (tag === "link" && name === "href") {
              const id = linkHintBlocked(e, ctx) ?? urlBlocked(raw, ctx);
              if (id) (neutraliseLink(e, id), (blocked ??= id));
              break;
            }
            if (FRAMES.has(tag) && /^\s*data:/i.test(decodeAttribute(raw))) {
              block(name, "data-document");
              break;
            }
            const id = urlBlocked(raw, ctx);
            if (id) {
              block(name, id);
              if (name === "action" || name === "formaction") e.setAttribute(name, "about:blank");
            }
            break;
          }
          case "srcset":
          case "imagesrcset": {
            const id = matchSrcset(raw, ctx.d.blockers);
            if (id) block(name, id);
            break;
          }
          case "ping": {
            for (const u of decodeAttribute(raw).split(/[\t\n\f\r ]+/)) {
              const id = u ? matchUrl(u, ctx.d.blockers) : undefined;
              if (id) {
                block(name, id);
                break;
              }
            }
            break;
          }
          case "to":
          case "from":
          case "values":
          case "by": {
            if (!SMIL.has(tag)) break;
            for (const u of decodeAttribute(raw).split(";")) {
              const id = u.trim() ? urlBlocked(u.trim(), ctx) : undefined;
              if (id) {
                block(name, id);
                break;
              }
            }
            break;
          }
          case "content": {
            if (tag !== "meta") break;
            const id = refreshBlocked(e, ctx);
            if (id) block(name, id);
            break;
          }
          case "srcdoc": {
            if (tag !== "iframe") break;
            const { value, unresolved } = decodeReferences(raw);
            if (depth >= MAX_SRCDOC_DEPTH || (unresolved && matchUrl(value, ctx.d.blockers) === UNREADABLE)) {
              block(name, "srcdoc");
              break;
            }
            srcdoc = rewriteFragment(value, ctx, depth + 1, []).then((out) => {
              if (out === value) return;
              // setAttribute escapes only the quote; the ampersands must survive the browser's decoding.
              e.setAttribute("srcdoc", out.replace(/&/g, "&amp;"));
              e.setAttribute("data-consent-blocked", blocked ?? "srcdoc");
            });
            break;
          }
        }
      }
      if (blocked) e.setAttribute("data-consent-blocked", blocked);
      return srcdoc;
    },
  });

  let style = { buf: "", overflow: false };
  rewriter.on("style", {
    element() {
      style = { buf: "", overflow: false };
    },
    text(t) {
      if (style.overflow) return void t.remove();
      style.buf += t.text;
      if (!t.lastInTextNode) {
        if (style.buf.length > STYLE_BUFFER_LIMIT) {
          style.overflow = true;
          t.replace(`/* consent-edge: style too long to inspect, dropped */`, { html: false });
        } else t.remove();
        return;
      }
      // In SVG the text is parsed like markup, references decoded: searched both ways.
      const id = cssBlocked(style.buf, ctx) ?? cssBlocked(decodeAttribute(style.buf), ctx);
      t.replace(id ? `/* consent-edge: blocked (${id}) */` : style.buf, { html: !id });
    },
  });

  // With scripting on, noscript content is raw text to the parser (HTML § 13.2.6.4.4), so its
  // elements are found by rewriting the buffered text as a fragment of its own.
  let ns = { buf: "", passthrough: false };
  rewriter.on("noscript", {
    element() {
      ns = { buf: "", passthrough: false };
    },
    async text(t) {
      if (ns.passthrough) return void t.remove();
      ns.buf += t.text;
      if (!t.lastInTextNode) {
        if (ns.buf.length > STYLE_BUFFER_LIMIT) {
          ns.passthrough = true;
          t.replace("", { html: false });
        } else t.remove();
        return;
      }
      const fragment = ns.buf;
      ns.buf = "";
      t.replace(await rewriteFragment(fragment, ctx, depth + 1, undefined), { html: true });
    },
  });
}

/** A fragment (srcdoc, noscript) through the same full coverage; `flushAtEnd` undefined where inline scripts cannot run. */
async function rewriteFragment(html: string, ctx: BlockingContext, depth: number, flushAtEnd: Array<() => string> | undefined): Promise<string> {
  const inner = new HTMLRewriter();
  const innerCtx = { ...ctx, flushAtEnd };
  addFullCoverage(inner, innerCtx, depth);
  addScripts(inner, innerCtx);
  if (flushAtEnd) {
    inner.onDocument({
      end(end) {
        const tail = flushAtEnd.map((f) => f()).join("");
        if (tail) end.append(tail, { html: true });
      },
    });
  }
  return inner.transform(new Response(html, { headers: { "content-type": "text/html; charset=utf-8" } })).text();
}

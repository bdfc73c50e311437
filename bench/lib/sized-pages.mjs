// Pages of a chosen size for the size curve and the hostile-markup runs (bench/lib/size-curve.mjs):
// an ordinary portal-like page whose size comes from table rows with a link and an image each, and
// pages built to be slow for a streaming HTML parser. Every page carries gtag (blocked for a visitor
// without consent) and one first-party script (kept), then the filler, then the document's end.
// Pure; the origin (bench/origin.mjs) serves them at PATHS.sized?kind=K&kb=N, cached per pair.

const HEAD =
  `<!DOCTYPE html>\n<html lang="fr"><head><meta charset="utf-8"><title>Sized — MAIA</title>` +
  `<script async src="https://www.googletagmanager.com/gtag/js?id=G-BENCH1"></script>` +
  `<script>window.dataLayer = window.dataLayer || []; function gtag(){dataLayer.push(arguments);} gtag('config', 'G-BENCH1');</script>` +
  `<script src="/static/ods-frontend.js" defer></script></head><body><main><h1>Records</h1>`;
const TAIL = `</main><footer>Powered by Opendatasoft</footer></body></html>\n`;

/** Filler units by kind: `unit(i)` is one repetition; `open`/`close` wrap them (nesting). */
const KINDS = {
  // A records table: one row per record, a link and an image each (the measured page).
  ordinary: {
    open: `<table class="ods-table"><tbody>`,
    unit: (i) => `<tr><td>${i}</td><td><a href="/explore/dataset/records/${i}/">Record ${i}</a></td><td><img src="/static/thumbs/r${i}.png" alt="" width="32" height="32"></td><td>Population ${1000 + i}</td></tr>\n`,
    close: `</tbody></table>`,
  },
  // Tens of thousands of nested elements: the open-element stack grows with the page.
  nested: { unit: () => `<div><span>`, closeEach: () => `</span></div>` },
  // End tags that close nothing, inside a deep stack (each one may be looked up the whole stack).
  stray: { open: "<div>".repeat(2000), unit: (i) => `</p></li></td></option></b${i % 7}>`, close: "</div>".repeat(2000) },
  // Elements with huge attribute lists.
  attrs: { unit: (i) => `<div ${Array.from({ length: 200 }, (_, k) => `data-a${k}="${i}"`).join(" ")}></div>\n` },
  // Many small inline scripts (each is looked at for markers) and external ones.
  scripts: { unit: (i) => (i % 2 ? `<script>var x${i}=${i};</script>\n` : `<script src="/static/s${i}.js"></script>\n`) },
  // One very long comment (and a few long ones).
  comment: { open: "<!-- ", unit: (i) => `comment text ${i} <script>not a script</script> -- - `, close: " -->" },
};

export const SIZED_KINDS = Object.keys(KINDS);

/** A page of `kind` of about `bytes` bytes (within one unit), as a Buffer. */
export function sizedPage(kind, bytes) {
  const k = KINDS[kind];
  if (!k) throw new RangeError(`unknown page kind ${kind}`);
  const fixed = HEAD.length + TAIL.length + (k.open?.length ?? 0) + (k.close?.length ?? 0);
  const parts = [];
  const closes = [];
  let size = fixed;
  for (let i = 0; size < bytes; i++) {
    const u = k.unit(i);
    const c = k.closeEach?.(i) ?? "";
    parts.push(u);
    if (c) closes.push(c);
    size += u.length + c.length;
  }
  return Buffer.from(HEAD + (k.open ?? "") + parts.join("") + closes.reverse().join("") + (k.close ?? "") + TAIL);
}

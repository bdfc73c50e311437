/**
 * Makes sure HTMLRewriter reads what the browser will decode: every Content-Encoding the
 * runtime can undo is undone (and the header corrected), every other one is refused before
 * a byte is sent, and text in an encoding the rewriter cannot parse is transcoded to UTF-8.
 *
 * fetch() here decodes a body by itself only when Content-Encoding is exactly `gzip` or `br`
 * (lower case, one coding), and keeps the header, so that the runtime encodes again on the way
 * out. Browsers decode any case and any stack (`GZIP`, `x-gzip`, `deflate`, `gzip, gzip`), and
 * read `deflate` as zlib (RFC 1950) or, as servers often send it, raw (RFC 1951). Those bodies
 * arrive encoded: they are decoded layer by layer (last applied, first undone) and sent
 * without Content-Encoding. DecompressionStream knows gzip, deflate and deflate-raw only.
 */
import { bomEncoding, metaCharset, type CharsetPlan } from "./document";

export type CodingPlan =
  /** Nothing to undo; the header (if any) stays. `sniffGzip`: the runtime decoded it, unless the Response was built with encodeBody "manual" (then the bytes still open with the gzip magic). */
  | { kind: "plain"; sniffGzip: boolean }
  /** Encoded layers to undo, in the order applied; the header goes. */
  | { kind: "decode"; codings: Array<"gzip" | "deflate"> }
  /** A coding the runtime cannot undo: the page cannot be checked, so it is not sent. */
  | { kind: "undecodable"; coding: string };

const RUNTIME_DECODED = new Set(["gzip", "br"]);

export function codingPlan(header: string | null): CodingPlan {
  if (header === null) return { kind: "plain", sniffGzip: false };
  const trimmed = header.trim();
  if (RUNTIME_DECODED.has(trimmed)) return { kind: "plain", sniffGzip: trimmed === "gzip" };
  const codings: Array<"gzip" | "deflate"> = [];
  for (const raw of trimmed.split(",")) {
    const c = raw.trim().toLowerCase();
    if (c === "" || c === "identity") continue;
    if (c === "gzip" || c === "x-gzip") codings.push("gzip");
    else if (c === "deflate") codings.push("deflate");
    else return { kind: "undecodable", coding: c };
  }
  return codings.length ? { kind: "decode", codings } : { kind: "plain", sniffGzip: false };
}

/** RFC 1950 § 2.2: CM 8, CINFO ≤ 7, the header a multiple of 31. */
function isZlibHeader(head: Uint8Array): boolean {
  return head.length >= 2 && (head[0] & 0x0f) === 8 && head[0] >> 4 <= 7 && ((head[0] << 8) | head[1]) % 31 === 0;
}

function isGzip(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

/**
 * The stream's first non-empty chunk, and a stream that yields it and then the rest. A plain
 * pull-based stream (no TransformStream, no pipe): one read per chunk, nothing allocated per
 * response but the stream itself. `head` is undefined for an empty body.
 */
export async function peek(stream: ReadableStream<Uint8Array>): Promise<{ head: Uint8Array | undefined; stream: ReadableStream<Uint8Array> }> {
  const reader = stream.getReader();
  let first: ReadableStreamReadResult<Uint8Array>;
  do first = await reader.read();
  while (!first.done && first.value.byteLength === 0);
  if (first.done) return { head: undefined, stream: new ReadableStream<Uint8Array>({ start: (c) => c.close() }) };
  return { head: first.value, stream: chain([first.value], reader) };
}

/** `chunks`, then whatever `reader` still gives. */
function chain(chunks: Uint8Array[], reader: ReadableStreamDefaultReader<Uint8Array>): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream<Uint8Array>(
    {
      async pull(c) {
        if (i < chunks.length) return c.enqueue(chunks[i++]);
        const r = await reader.read();
        if (r.done) c.close();
        else c.enqueue(r.value);
      },
      cancel(reason) {
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}

/** Undoes the content codings of a body (see `codingPlan`). */
export async function decodeCodings(body: ReadableStream<Uint8Array>, plan: CodingPlan): Promise<ReadableStream<Uint8Array>> {
  if (plan.kind === "undecodable") throw new TypeError(`consent-edge: cannot decode Content-Encoding ${plan.coding}`);
  if (plan.kind === "plain") {
    if (!plan.sniffGzip) return body;
    const { head, stream } = await peek(body);
    return head && isGzip(head) ? stream.pipeThrough(new DecompressionStream("gzip")) : stream;
  }
  let stream = body;
  for (let i = plan.codings.length - 1; i >= 0; i--) {
    if (plan.codings[i] === "gzip") {
      stream = stream.pipeThrough(new DecompressionStream("gzip"));
      continue;
    }
    const peeked = await peek(stream);
    if (!peeked.head) return peeked.stream;
    stream = peeked.stream.pipeThrough(new DecompressionStream(isZlibHeader(peeked.head) ? "deflate" : "deflate-raw"));
  }
  return stream;
}

const UTF8_BOM = new Uint8Array([0xef, 0xbb, 0xbf]);

/** The label HTMLRewriter gets for a plan (known before the first byte, since the rewriter is set up then). */
export function rewriterLabel(plan: CharsetPlan): string | undefined {
  return plan.kind === "label" ? plan.encoding : plan.kind === "transcode" ? "utf-8" : undefined;
}

/**
 * The decoded body as bytes HTMLRewriter reads the way the browser will (with `rewriterLabel`). A byte order mark wins over every label (as in the browser); text in
 * UTF-16 or ISO-2022-JP is transcoded to UTF-8 and sent with a UTF-8 BOM, which the browser
 * then obeys whatever the Content-Type says. Without a usable label, a `<meta>` charset is
 * honoured as the browser's prescan would; a page that declares nothing but holds ESC bytes
 * (which an encoding detector may take for ISO-2022-JP) gets a UTF-8 BOM so that no detector runs.
 */
export async function textForRewriter(body: ReadableStream<Uint8Array>, plan: CharsetPlan): Promise<ReadableStream<Uint8Array>> {
  const { head, stream } = await peek(body);
  if (!head) return stream;
  const bom = bomEncoding(head);
  if (bom === "utf-8") return stream;
  if (bom) return transcode(stream, bom);
  if (plan.kind === "transcode") return transcode(stream, plan.encoding);
  if (plan.kind === "label") return stream;
  const meta = metaCharset(head);
  if (meta === "iso-2022-jp") return transcode(stream, meta);
  if (!meta && head.includes(0x1b)) return prefixed(UTF8_BOM, stream);
  return stream;
}

function transcode(stream: ReadableStream<Uint8Array>, encoding: string): ReadableStream<Uint8Array> {
  const text = stream.pipeThrough(new TextDecoderStream(encoding)).pipeThrough(new TextEncoderStream());
  return prefixed(UTF8_BOM, text);
}

function prefixed(prefix: Uint8Array, stream: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  return chain([prefix.slice()], stream.getReader());
}

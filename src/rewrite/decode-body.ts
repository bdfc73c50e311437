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
 * The stream's first bytes (at least `min` of them, fewer only if the body is shorter; the first
 * chunk alone when it is long enough), and a stream that yields them and then the rest. A plain
 * pull-based stream (no TransformStream, no pipe). `head` is undefined for an empty body.
 */
export async function peek(stream: ReadableStream<Uint8Array>, min = 1): Promise<{ head: Uint8Array | undefined; stream: ReadableStream<Uint8Array> }> {
  const reader = stream.getReader();
  const { head, done } = await readHead(reader, min);
  if (!head) return { head, stream: closedStream() };
  if (done) return { head, stream: chain([head], undefined) };
  return { head, stream: chain([head], reader) };
}

/** Reads until `min` bytes (or the end) have come; joins them only when they came in pieces. */
async function readHead(reader: ReadableStreamDefaultReader<Uint8Array>, min: number): Promise<{ head: Uint8Array | undefined; done: boolean }> {
  let head: Uint8Array | undefined;
  let pieces: Uint8Array[] | undefined;
  let length = 0;
  while (length < min) {
    const r = await reader.read();
    if (r.done) return { head: join(head, pieces, length), done: true };
    if (r.value.byteLength === 0) continue;
    if (!head) head = r.value;
    else (pieces ??= [head]).push(r.value);
    length += r.value.byteLength;
  }
  return { head: join(head, pieces, length), done: false };
}

function join(head: Uint8Array | undefined, pieces: Uint8Array[] | undefined, length: number): Uint8Array | undefined {
  if (!pieces) return head;
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of pieces) (out.set(p, at), (at += p.byteLength));
  return out;
}

function closedStream(): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({ start: (c) => c.close() });
}

/** `chunks`, then whatever `reader` still gives (nothing more when there is none). */
function chain(chunks: Uint8Array[], reader: ReadableStreamDefaultReader<Uint8Array> | undefined): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream<Uint8Array>(
    {
      async pull(c) {
        if (i < chunks.length) return c.enqueue(chunks[i++]);
        if (!reader) return c.close();
        const r = await reader.read();
        if (r.done) c.close();
        else c.enqueue(r.value);
      },
      cancel(reason) {
        return reader?.cancel(reason);
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
    const { head, stream } = await peek(body, 2);
    return head && isGzip(head) ? stream.pipeThrough(new DecompressionStream("gzip")) : stream;
  }
  let stream = body;
  for (let i = plan.codings.length - 1; i >= 0; i--) {
    if (plan.codings[i] === "gzip") {
      stream = stream.pipeThrough(new DecompressionStream("gzip"));
      continue;
    }
    const peeked = await peek(stream, 2);
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
  const { head, stream } = await peek(body, headBytes(plan));
  const text = textPlan(head, plan);
  if (text.kind === "transcode") return transcode(stream, text.encoding);
  if (text.kind === "utf8-bom") return prefixed(UTF8_BOM, stream);
  return stream;
}

type TextPlan = { kind: "as-is" } | { kind: "transcode"; encoding: string } | { kind: "utf8-bom" };

/** How many first bytes `textPlan` needs: a byte order mark, and without a label the `<meta>` prescan's 1024 (HTML § 13.2.3.2). */
function headBytes(plan: CharsetPlan): number {
  return plan.kind === "none" ? 1024 : 3;
}

/** What the body's first bytes (`headBytes` of them, or the whole body) mean for the rewriter's input. */
function textPlan(head: Uint8Array | undefined, plan: CharsetPlan): TextPlan {
  if (!head) return AS_IS;
  const bom = bomEncoding(head);
  if (bom === "utf-8") return AS_IS;
  if (bom) return { kind: "transcode", encoding: bom };
  if (plan.kind === "transcode") return { kind: "transcode", encoding: plan.encoding };
  if (plan.kind === "label") return AS_IS;
  const meta = metaCharset(head);
  if (meta === "iso-2022-jp") return { kind: "transcode", encoding: meta };
  if (!meta && head.includes(0x1b)) return { kind: "utf8-bom" };
  return AS_IS;
}

const AS_IS: TextPlan = { kind: "as-is" };

/**
 * What `rewriterInput` decided: parse `stream`, or the body is longer than the limit (`stream` is
 * then the whole body as it came; `asIs`: bytes appended to it are read as the page's own text, so
 * a banner may follow it).
 */
export type RewriterInput = { kind: "parse"; stream: ReadableStream<Uint8Array> } | { kind: "too-long"; stream: ReadableStream<Uint8Array>; asIs: boolean };

/**
 * The stream HTMLRewriter reads. For most pages (no coding left to undo, an ASCII-compatible label
 * or none, first bytes that change nothing), that is the origin's body itself, read by the rewriter
 * without JavaScript: a tee() gives JavaScript a copy of the first bytes (a byte order mark, a
 * `<meta>` charset, a gzip header), which is then cancelled, and the rewriter gets the other
 * branch, the first bytes included, with the origin's backpressure. The promise settles once those
 * bytes have been looked at, before the rewriter reads anything: no byte reaches the visitor before
 * the decision. Other pages go through the decoding above, one JavaScript read per chunk.
 *
 * With a finite `limit` (a body of unknown length: chunked, or a coding the runtime undid) the
 * probe branch reads on, up to `limit` + 1 bytes, before deciding (the tee keeps them for the other
 * branch): a longer body comes back "too-long", known before anything is parsed or sent. Bodies
 * decoded or transcoded in JavaScript are not counted.
 *
 * Measured against the earlier design (JavaScript read the first bytes, wrote them into an
 * IdentityTransformStream and piped the rest into it): the pipe cost a 10 KB page more than the
 * rewriter itself. A tee branch needs no pipe: workerd could not pipe one into a TransformStream.
 *
 * An origin body that fails before the decision makes the rewriter's input fail (nothing of the
 * page is sent); one that fails later makes it fail there (the page is cut short, never completed
 * unread); a rewriter whose reader went away cancels the origin's body.
 */
export async function rewriterInput(source: ReadableStream<Uint8Array>, coding: CodingPlan, charset: CharsetPlan, limit: number): Promise<RewriterInput> {
  if (coding.kind !== "plain" || charset.kind === "transcode") return { kind: "parse", stream: decodedLazily(source, coding, charset) };
  const [body, probe] = source.tee();
  const reader = probe.getReader();
  let head: Uint8Array | undefined;
  let length = 0;
  try {
    const first = await readHead(reader, headBytes(charset));
    head = first.head;
    length = head?.byteLength ?? 0;
    // Without a limit, only the head is read.
    for (let done = first.done || limit === Infinity; !done && length <= limit; ) {
      const r = await reader.read();
      done = r.done;
      if (!r.done) length += r.value.byteLength;
    }
  } catch (err) {
    // Undecided: nothing of the page goes out.
    await Promise.allSettled([body.cancel(err), reader.cancel(err)]);
    return { kind: "parse", stream: failed(err) };
  }
  // Only this branch goes: the other keeps the origin's body alive.
  reader.cancel().catch(() => {});
  const gzipped = coding.sniffGzip && head !== undefined && isGzip(head);
  // A body still in gzip (a Response built with encodeBody "manual") is decoded and parsed as before, whatever its length.
  if (length > limit && !gzipped) return { kind: "too-long", stream: body, asIs: textPlan(head, charset).kind === "as-is" };
  if (gzipped || textPlan(head, charset).kind !== "as-is") return { kind: "parse", stream: decodedLazily(body, coding, charset) };
  return { kind: "parse", stream: body };
}

/** A stream that fails with `err` when read (a native one: HTMLRewriter reads a JavaScript stream errored at its start as if it never ended). */
function failed(err: unknown): ReadableStream<Uint8Array> {
  const { readable, writable } = new IdentityTransformStream();
  writable.abort(err).catch(() => {});
  return readable;
}

/** The decoding pipeline as a stream that sets itself up on its first pull (one plain stream, no pipe). */
export function decodedLazily(source: ReadableStream<Uint8Array>, coding: CodingPlan, charset: CharsetPlan): ReadableStream<Uint8Array> {
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  return new ReadableStream<Uint8Array>(
    {
      async pull(c) {
        reader ??= (await textForRewriter(await decodeCodings(source, coding), charset)).getReader();
        const r = await reader.read();
        if (r.done) c.close();
        else c.enqueue(r.value);
      },
      cancel(reason) {
        return (reader ?? source).cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}

function transcode(stream: ReadableStream<Uint8Array>, encoding: string): ReadableStream<Uint8Array> {
  const text = stream.pipeThrough(new TextDecoderStream(encoding)).pipeThrough(new TextEncoderStream());
  return prefixed(UTF8_BOM, text);
}

function prefixed(prefix: Uint8Array, stream: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  return chain([prefix.slice()], stream.getReader());
}

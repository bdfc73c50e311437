/**
 * Makes sure HTMLRewriter sees markup, never compressed bytes, whatever the Content-Encoding.
 *
 * A Response from fetch() (or one built with the default `encodeBody: "automatic"`) holds the
 * decoded body and keeps its Content-Encoding header, which the runtime applies again on the
 * way out. One built with `encodeBody: "manual"` holds the encoded bytes, and HTMLRewriter
 * would pass them through unread: a way around the blocking. The runtime does not tell which
 * is which, so the first chunk decides: gzip and zlib bytes (RFC 1952 § 2.3.1, RFC 1950 § 2.2)
 * are decompressed; text is taken as decoded; anything else cannot be checked (brotli, zstd:
 * DecompressionStream here knows only gzip and deflate) and the body fails with an error
 * rather than reach the visitor unfiltered.
 */

export type BodyKind = "gzip" | "deflate" | "text" | "unknown";

/** What the first bytes of a body are, for a response whose Content-Encoding is not identity. */
export function sniffBody(head: Uint8Array, contentEncoding: string): BodyKind {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return "gzip";
  // Only where deflate is declared: "x^", "H…" could also open a decoded text.
  if (/deflate/i.test(contentEncoding) && head.length >= 2 && (head[0] & 0x0f) === 8 && (head[0] >> 4) <= 7 && ((head[0] << 8) | head[1]) % 31 === 0) {
    return "deflate";
  }
  return looksLikeText(head) ? "text" : "unknown";
}

/**
 * True when the first bytes read as text: no C0 control other than TAB, LF, FF, CR (and
 * ESC, for ISO-2022 pages), and valid UTF-8 or a legacy single-byte encoding. A compressed
 * stream has a control byte in its first 64 bytes with probability above 99.9 %.
 */
function looksLikeText(head: Uint8Array): boolean {
  const n = Math.min(head.length, 64);
  for (let i = 0; i < n; i++) {
    const b = head[i];
    if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0c && b !== 0x0d && b !== 0x1b) return false;
    if (b === 0x7f) return false;
  }
  return true;
}

const IDENTITY = new Set(["", "identity"]);

/** True when the header names an encoding other than identity. */
export function isEncoded(contentEncoding: string | null): boolean {
  if (contentEncoding === null) return false;
  return contentEncoding.split(",").some((c) => !IDENTITY.has(c.trim().toLowerCase()));
}

/** The body as decoded bytes, streamed: only the first chunk is looked at. */
export function decodedBody(body: ReadableStream<Uint8Array>, contentEncoding: string): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let source: ReadableStreamDefaultReader<Uint8Array> | undefined;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!source) {
        let first: ReadableStreamReadResult<Uint8Array>;
        do first = await reader.read();
        while (!first.done && first.value.byteLength === 0);
        if (first.done) return controller.close();
        const head = first.value;
        const kind = sniffBody(head, contentEncoding);
        if (kind === "unknown") {
          await reader.cancel();
          return controller.error(new TypeError("consent-edge: encoded HTML body that cannot be decoded here"));
        }
        if (kind === "text") {
          source = reader;
          return controller.enqueue(head);
        }
        const rest = new ReadableStream<Uint8Array>({
          start(c) {
            c.enqueue(head);
          },
          async pull(c) {
            const r = await reader.read();
            if (r.done) c.close();
            else c.enqueue(r.value);
          },
          cancel(reason) {
            return reader.cancel(reason);
          },
        });
        source = rest.pipeThrough(new DecompressionStream(kind)).getReader();
      }
      const r = await source.read();
      if (r.done) controller.close();
      else controller.enqueue(r.value);
    },
    cancel(reason) {
      return (source ?? reader).cancel(reason);
    },
  });
}

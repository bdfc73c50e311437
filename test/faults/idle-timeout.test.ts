// withIdleTimeout on its own, with streams built in the test: what counts as idle, what is passed
// through, and that nothing lingers after the end, a cancel or an error.
import { describe, expect, it } from "vitest";
import { OriginBodyTimeout, withIdleTimeout } from "../../src/proxy/idle-timeout";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A source that yields `chunks` with `gapMs` before each, then stalls forever if `stall`. */
function source(chunks: Uint8Array[], gapMs: number, stall = false) {
  let cancelled: unknown = "not cancelled";
  let i = 0;
  const stream = new ReadableStream<Uint8Array>(
    {
      async pull(c) {
        await sleep(gapMs);
        if (i < chunks.length) c.enqueue(chunks[i++]);
        else if (stall) await new Promise(() => {});
        else c.close();
      },
      cancel(reason) {
        cancelled = reason;
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, cancelled: () => cancelled };
}

async function readAll(stream: ReadableStream<Uint8Array>) {
  const reader = stream.getReader();
  const out: Uint8Array[] = [];
  for (let n = 0; n < 1000; n++) {
    const { done, value } = await reader.read();
    if (done) return out;
    out.push(value);
  }
  throw new Error("too many chunks");
}

describe("withIdleTimeout", () => {
  it("passes the very same chunk objects through, in order, and closes", async () => {
    const chunks = [new Uint8Array([1]), new Uint8Array([2, 3]), new Uint8Array(0), new Uint8Array([4])];
    const got = await readAll(withIdleTimeout(source(chunks, 0).stream, 200));
    expect(got).toHaveLength(4);
    got.forEach((c, i) => expect(c).toBe(chunks[i]));
  });

  it("does not trip on gaps shorter than the bound, however long the whole body takes", async () => {
    // Gaps of 100 ms under a bound ten times longer (a loaded machine delays timers), 1.2 s in all.
    const chunks = Array.from({ length: 12 }, (_, i) => new Uint8Array([i]));
    const started = Date.now();
    const got = await readAll(withIdleTimeout(source(chunks, 100).stream, 1000));
    expect(got.map((c) => c[0])).toEqual(chunks.map((_, i) => i));
    expect(Date.now() - started).toBeGreaterThan(1000);
  });

  it("errors with OriginBodyTimeout after the bound of waiting, cancels the source, calls onTimeout once", async () => {
    const src = source([new Uint8Array([1])], 0, true);
    let calls = 0;
    const started = Date.now();
    const stream = withIdleTimeout(src.stream, 300, () => calls++);
    const reader = stream.getReader();
    expect((await reader.read()).value).toEqual(new Uint8Array([1]));
    const err = await reader.read().then(
      () => undefined,
      (e) => e,
    );
    const elapsed = Date.now() - started;
    expect(err).toBeInstanceOf(OriginBodyTimeout);
    expect(elapsed).toBeGreaterThanOrEqual(280);
    expect(elapsed).toBeLessThan(1500);
    expect(src.cancelled()).toBeInstanceOf(OriginBodyTimeout);
    await sleep(400);
    expect(calls).toBe(1);
  });

  it("does not count time when no read is pending (a slow consumer)", async () => {
    const chunks = [new Uint8Array([1]), new Uint8Array([2])];
    const reader = withIdleTimeout(source(chunks, 0).stream, 200).getReader();
    expect((await reader.read()).value![0]).toBe(1);
    await sleep(600);
    expect((await reader.read()).value![0]).toBe(2);
    expect((await reader.read()).done).toBe(true);
  });

  it("passes the source's error on as it is", async () => {
    const boom = new Error("reset");
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new Uint8Array([1]));
        c.error(boom);
      },
    });
    const reader = withIdleTimeout(stream, 200).getReader();
    await reader.read().catch(() => {});
    await expect(reader.read()).rejects.toBe(boom);
  });

  it("a cancel by the consumer reaches the source and stops the timer", async () => {
    const src = source([new Uint8Array([1])], 0, true);
    let calls = 0;
    const reader = withIdleTimeout(src.stream, 150, () => calls++).getReader();
    await reader.read();
    await reader.cancel("visitor left");
    expect(src.cancelled()).toBe("visitor left");
    await sleep(400);
    expect(calls).toBe(0);
  });
});

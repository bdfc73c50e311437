/**
 * An idle timeout for a proxied body: once the status is sent, a stalled origin can no longer
 * get a 504, so the stream handed to the visitor errors (and the origin's is cancelled) when
 * a read from the origin has waited `ms` without a byte. Only time spent waiting on the origin
 * counts: a slow visitor (backpressure, no read pending) never trips it.
 *
 * Chunks pass through as they are, one at a time (no copy, no extra buffering beyond the
 * stream's one-chunk read-ahead). Per chunk the cost is two assignments: one timer per stream
 * is re-armed only when it fires, and compares against the time the pending read started.
 * (In Workers, Date.now() advances with I/O, i.e. on each chunk's arrival and each timer.)
 */

export class OriginBodyTimeout extends Error {
  constructor(ms: number) {
    super(`origin body idle for ${ms} ms`);
    this.name = "OriginBodyTimeout";
  }
}

/** `body`, erroring with OriginBodyTimeout after `ms` of waiting on the origin; `onTimeout` runs once then. */
export function withIdleTimeout(
  body: ReadableStream<Uint8Array>,
  ms: number,
  onTimeout?: () => void,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let waitingSince = 0; // when the pending read started; 0 while no read is pending
  let timer: ReturnType<typeof setTimeout> | undefined;
  let finished = false;

  const finish = () => {
    finished = true;
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };

  return new ReadableStream<Uint8Array>({
    start(controller) {
      const check = () => {
        timer = undefined;
        if (finished) return;
        const now = Date.now();
        if (waitingSince !== 0 && now - waitingSince >= ms) {
          finish();
          const err = new OriginBodyTimeout(ms);
          controller.error(err);
          reader.cancel(err).catch(() => {});
          onTimeout?.();
          return;
        }
        timer = setTimeout(check, waitingSince === 0 ? ms : ms - (now - waitingSince));
      };
      timer = setTimeout(check, ms);
    },
    async pull(controller) {
      waitingSince = Date.now() || 1;
      let result: ReadableStreamReadResult<Uint8Array>;
      try {
        result = await reader.read();
      } catch (err) {
        if (finished) return; // the timeout already errored the stream
        finish();
        controller.error(err);
        return;
      }
      waitingSince = 0;
      if (finished) return;
      if (result.done) {
        finish();
        controller.close();
      } else {
        controller.enqueue(result.value);
      }
    },
    cancel(reason) {
      finish();
      return reader.cancel(reason);
    },
  });
}

// Visits run side by side: a browser suite that visits many pages, each from a fresh visitor,
// runs them in a few lanes, each a browser context with one page that visits its share in turn.
// A new page costs Chromium a renderer process (about 1 s of CPU on this 2-core machine) against
// about 0.2 s for a visit in a page it keeps; the lanes overlap the waits on the network.

/** Lanes at once in the suites that use them: enough to overlap the waits, few enough for two cores. */
export const LANES = 4;

/** Runs `visit` over `items` in `lanes` lanes (each its own `open()`ed lane, used in turn); results in the items' order. */
export async function inLanes<T, L, R>(items: readonly T[], lanes: number, open: () => Promise<L>, close: (lane: L) => Promise<void>, visit: (lane: L, item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const run = async () => {
    const lane = await open();
    try {
      while (next < items.length) {
        const i = next++;
        results[i] = await visit(lane, items[i]!, i);
      }
    } finally {
      await close(lane);
    }
  };
  await Promise.all(Array.from({ length: Math.min(lanes, items.length) }, run));
  return results;
}

// Visits run side by side: a browser suite that visits many pages, each from a fresh visitor,
// runs them in a few lanes, each a browser context with one page that visits its share in turn.
// A new page costs Chromium a renderer process (about 1 s of CPU on this 2-core machine) against
// about 0.2 s for a visit in a page it keeps; the lanes overlap the waits on the network. Also
// how a page that may still be navigating is closed (closePage), for the suites that close pages.
import type { Page } from "playwright-core";

/** Lanes at once in the suites that use them: enough to overlap the waits, few enough for two cores. */
export const LANES = 4;

/**
 * Closes a page that may still be navigating (a form it submitted, a refresh): first lets the
 * navigation load (at most `ms`), then closes, and goes on after `ms` should the close not
 * return. Closing mid-navigation once never returned here (300 s, tracking matrix), and a
 * channels probe's test timed out at 120 s in a CI run the same way.
 */
export async function closePage(page: Page, ms = 5000): Promise<void> {
  await page.waitForLoadState("load", { timeout: ms }).catch(() => {});
  await closeWithin(page, ms);
}

/** Closes `target` (a page, a context), going on after `ms` should the close not return; a failed close is ignored. */
export async function closeWithin(target: { close(): Promise<void> }, ms = 10_000): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([target.close().catch(() => {}), new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

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

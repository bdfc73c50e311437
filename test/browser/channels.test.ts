// Channels the consent-derived CSP left open (issue 23), tried in real Chromium through wrangler
// dev against a loopback server standing in for the tracker host, which counts every connection
// (form navigations and worker traffic included, which request interception misses): forms a
// script submits to the tracker (top level, from a srcdoc frame with target=_top, through a
// button's formaction) and dedicated and shared workers started from a script the portal serves
// (fetch and importScripts from the tracker). Undecided, refused and Sec-GPC visitors: the
// tracker is never reached. With everything accepted the same probes reach it. In scan mode and
// with markup csp-only. (Service workers need a secure context: their script's CSP is checked
// in test/integration/channels.test.ts, Sec-Fetch-Dest: serviceworker.)
import type { BrowserContext, Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { useChromiumStack, visitorContext } from "./chromium";
import { closePage, closeWithin } from "./lanes";
import { useTrackerServer } from "./tracker-server";

function fixture(body: string, type = "text/html; charset=utf-8"): string {
  const spec = Buffer.from(JSON.stringify({ headers: [["Content-Type", type]], body })).toString("base64url");
  return `/__fixture/respond?spec=${spec}`;
}

/** Every probe page says when the CSP stopped something (the title), so no test waits blindly. */
const WATCH = `<script>document.addEventListener("securitypolicyviolation", function (e) { document.title = "blocked " + e.effectiveDirective; });</script>`;
const page = (inner: string) => `<!doctype html><html><head><title>probe</title>${WATCH}</head><body><p>probe</p>${inner}</body></html>`;

/** A worker that imports a script from the tracker and fetches from it, then says "done" (whether they failed or not). */
const workerScript = (trk: string, shared: boolean) =>
  `try { importScripts("${trk}/w-import.js"); } catch (err) {}` +
  ` var tried = fetch("${trk}/w-fetch").then(function () {}, function () {});` +
  (shared
    ? ` onconnect = function (e) { var port = e.ports[0]; tried.then(function () { port.postMessage("done"); }); };`
    : ` tried.then(function () { postMessage("done"); });`);

/** [name, the probe page for the tracker origin `trk`, a form probe (see the preconnect note below), a button to click in its frame]. */
const PROBES: Array<[string, (trk: string) => string, boolean, string?]> = [
  ["a script submits a form to the tracker", (trk) => page(`<form id="f" action="${trk}/collect" method="post"><input name="url" value="secret"></form><script>document.getElementById("f").submit();</script>`), true],
  [
    "a srcdoc frame submits a form with target=_top",
    (trk) =>
      page(
        `<iframe srcdoc="<script>document.addEventListener('securitypolicyviolation', function () { parent.document.title = 'blocked form-action'; });</script><form action='${trk}/collect' target='_top' method='get'><input name='x' value='secret'><button>go</button></form>"></iframe>`,
      ),
    true,
    // Clicked (Chromium lets a frame navigate the top-level page with a user's activation).
    "iframe",
  ],
  ["a button's formaction", (trk) => page(`<form action="/"><button id="b" formaction="${trk}/collect" name="x" value="secret">go</button></form><script>document.getElementById("b").click();</script>`), true],
  [
    "a dedicated worker from the portal's script fetches and imports from the tracker",
    (trk) => page(`<script>var w = new Worker(${JSON.stringify(fixture(workerScript(trk, false), "text/javascript"))}); w.onmessage = w.onerror = function () { document.title = "done"; };</script>`),
    false,
  ],
  [
    "a shared worker from the portal's script fetches and imports from the tracker",
    (trk) =>
      page(`<script>var w = new SharedWorker(${JSON.stringify(fixture(workerScript(trk, true), "text/javascript"))}); w.port.onmessage = function () { document.title = "done"; }; w.onerror = function () { document.title = "done"; };</script>`),
    false,
  ],
];

/** Opens the probe, and clicks its frame's button when it has one. */
async function run(p: Page, url: string, frame: string | undefined): Promise<void> {
  // "commit": a probe's own form submission may begin before the page's load event.
  await p.goto(url, { waitUntil: "commit" });
  if (frame) await p.frameLocator(frame).locator("button").click({ noWaitAfter: true });
}

type State = "undecided" | "refused" | "Sec-GPC" | "consent";

for (const [mode, vars] of [
  ["scan", {}],
  ["markup csp-only (nothing parsed)", { MARKUP_MODE: "csp-only" }],
] as const) {
  describe(`channels past the CSP, ${mode}, in Chromium`, () => {
    const tracker = useTrackerServer();
    const chromium = useChromiumStack({ protocol: "http", vars }, { resolverRules: ["MAP *.tracker.test 127.0.0.1"] });
    const trk = () => `http://www.tracker.test:${tracker.port}`;

    const contextFor = (state: State): Promise<BrowserContext> => visitorContext(chromium.browser, chromium.base, state);

    for (const state of ["undecided", "refused", "Sec-GPC"] as const) {
      it(`${state}: no probe reaches the tracker`, { timeout: 120_000 }, async () => {
        const context = await contextFor(state);
        const leaks: string[] = [];
        const preconnects: number[] = [];
        try {
          for (const [name, probe, form, frame] of PROBES) {
            tracker.reset();
            const p = await context.newPage();
            await run(p, `${chromium.base}${fixture(probe(trk()))}`, frame);
            // The probe ends when the CSP reports a violation or the worker answers (it tried, and failed).
            await p.waitForFunction(() => document.title !== "probe" && document.title !== "", undefined, { timeout: 20_000 }).catch(() => leaks.push(`${name}: never finished (${p.url()})`));
            // Nothing was sent: not one request. A form's navigation may still open a bare connection:
            // Chromium's loading predictor preconnects to a navigation's origin as it starts, before
            // form-action refuses it (no byte of the request follows; SECURITY.md). Anything else: none.
            if (tracker.hits.length > 0 || (!form && tracker.connections > 0)) leaks.push(`${name}: ${tracker.connections} connection(s) ${JSON.stringify(tracker.hits)}`);
            if (form) preconnects.push(tracker.connections);
            await closePage(p);
          }
        } finally {
          await closeWithin(context);
        }
        expect(leaks).toEqual([]);
        // At most the one bare connection per form probe.
        for (const n of preconnects) expect(n).toBeLessThanOrEqual(1);
      });
    }

    it("consent: every probe reaches the tracker", { timeout: 120_000 }, async () => {
      const context = await contextFor("consent");
      const silent: string[] = [];
      try {
        for (const [name, probe, , frame] of PROBES) {
          tracker.reset();
          const p = await context.newPage();
          await run(p, `${chromium.base}${fixture(probe(trk()))}`, frame);
          // A request, not a bare connection: the probe's data did reach the tracker.
          const deadline = Date.now() + 20_000;
          while (tracker.hits.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
          if (tracker.hits.length === 0) silent.push(name);
          // The form probes' navigation to the tracker may still be under way.
          await closePage(p);
        }
      } finally {
        await closeWithin(context);
      }
      expect(silent).toEqual([]);
    });
  });
}

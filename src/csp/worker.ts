/**
 * Responses that become a worker's global scope. A dedicated, shared or service worker takes its
 * CSP from its own script's response, not from the page that started it (CSP3 § 4.2.2 "initialize
 * a global object's CSP list"): the consent-derived policy must go on those responses too, or a
 * worker started by a script the portal serves can fetch and import from any host. Pure; no I/O.
 */

const WORKER_DESTS = new Set(["worker", "sharedworker", "serviceworker"]);

/** JavaScript MIME type essences (MIME Sniffing § 4.6): the only ones a browser runs as a worker script. */
const JAVASCRIPT = /^(?:application\/(?:x-)?(?:java|ecma)script|text\/(?:(?:x-)?(?:java|ecma)script|javascript1\.[0-5]|jscript|livescript))$/;

/**
 * True when the response may become a worker's global scope: the request's `Sec-Fetch-Dest` names
 * a worker, or (a browser that sends no Fetch Metadata, or a request over plain http from an old
 * one) the response is JavaScript, which a worker could run.
 */
export function becomesWorkerScope(secFetchDest: string | null, contentType: string | null): boolean {
  if (secFetchDest !== null) return WORKER_DESTS.has(secFetchDest.trim().toLowerCase());
  if (contentType === null) return false;
  for (const value of contentType.split(",")) {
    const essence = value.split(";")[0].trim().toLowerCase();
    if (JAVASCRIPT.test(essence)) return true;
  }
  return false;
}

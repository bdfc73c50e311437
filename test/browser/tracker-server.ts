// A loopback stand-in for tracker hosts: an HTTP server that counts every TCP connection it
// accepts (navigations, form posts, worker fetches, importScripts: whatever Chromium opens) and
// records each request's method, host and path. Chromium reaches it through
// `--host-resolver-rules=MAP <tracker host> 127.0.0.1` and URLs that name its port. Bounded: it
// answers each request at once, keeps at most 1,000 records, and closes with the suite.
import { createServer, type Server } from "node:http";
import { afterAll, beforeAll } from "vitest";

export interface TrackerHit {
  method: string;
  host: string;
  path: string;
}

export interface TrackerServer {
  /** The port the tracker URLs name: `http://www.tracker.test:<port>/…`. */
  readonly port: number;
  /** TCP connections accepted since the last reset. */
  readonly connections: number;
  readonly hits: readonly TrackerHit[];
  reset(): void;
}

const MAX_HITS = 1000;

/** Starts the server in a beforeAll and closes it in an afterAll of the calling suite. */
export function useTrackerServer(): TrackerServer {
  let server: Server | undefined;
  let port = 0;
  let connections = 0;
  let hits: TrackerHit[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (hits.length < MAX_HITS) hits.push({ method: req.method ?? "", host: req.headers.host ?? "", path: req.url ?? "" });
      req.resume();
      const script = /\.js(\?|$)/.test(req.url ?? "");
      res.writeHead(200, {
        "content-type": script ? "text/javascript" : "text/html",
        "access-control-allow-origin": "*",
        "set-cookie": "trk=1; Path=/; Max-Age=3600",
      });
      res.end(script ? "self.__tracked = true;" : "<p>tracker</p>");
    });
    server.on("connection", () => connections++);
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  });
  return {
    get port() {
      return port;
    },
    get connections() {
      return connections;
    },
    get hits() {
      return hits;
    },
    reset() {
      connections = 0;
      hits = [];
    },
  };
}

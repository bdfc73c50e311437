// Types for demo/origin.mjs, so TypeScript tests and vitest setup files can import it.
import type { IncomingMessage, ServerResponse } from "node:http";

/** The portal's hit counts (see demo/origin.mjs). */
export interface OriginStats {
  "matomo.js": number;
  "gtag.js": number;
  "matomo.php": number;
  collect: number;
  pages: number;
}

/** Routes added before the portal's: answers and returns true, or returns false to let the portal answer. */
export type ExtraRoutes = (req: IncomingMessage, res: ServerResponse, url: URL, ctx: { stats: OriginStats; tenant: string }) => boolean;

export interface StartOriginOptions {
  /** TCP port; 0 (the default) picks a free one. */
  port?: number;
  /** Interface to listen on; default "127.0.0.1". */
  host?: string;
  /** Name shown on pages requested for localhost or an IP host; default "demo". */
  tenant?: string;
  /** Routes tried before the portal's (test/fixtures/origin.mjs adds the tests' this way). */
  routes?: ExtraRoutes;
}

export interface RunningOrigin {
  port: number;
  /** "http://127.0.0.1:<port>", no trailing slash. */
  url: string;
  /** Stops listening and destroys every open socket (hung and stalled fixtures included). */
  close(): Promise<void>;
}

export function startOrigin(options?: StartOriginOptions): Promise<RunningOrigin>;
export function newStats(): OriginStats;
export function send(req: IncomingMessage, res: ServerResponse, status: number, headers: Record<string, string | number | string[]>, body?: string | Buffer): void;
export function notFound(req: IncomingMessage, res: ServerResponse): void;
export function failResponse(res: ServerResponse, err: unknown): void;

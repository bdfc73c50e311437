// Types for demo/origin.mjs, so TypeScript tests and vitest setup files can import it.

export interface StartOriginOptions {
  /** TCP port; 0 (the default) picks a free one. */
  port?: number;
  /** Interface to listen on; default "127.0.0.1". */
  host?: string;
  /** Serve the /__fixture/* routes (tests only); default false. */
  fixtures?: boolean;
  /** Name shown on pages requested for localhost or an IP host; default "demo". */
  tenant?: string;
}

export interface RunningOrigin {
  port: number;
  /** "http://127.0.0.1:<port>", no trailing slash. */
  url: string;
  /** Stops listening and destroys every open socket (hung and stalled fixtures included). */
  close(): Promise<void>;
}

/** The JSON carried base64url-encoded in `?spec=` by /__fixture/respond and /__fixture/redirect. */
export interface FixtureSpec {
  status?: number;
  headers?: [string, string][];
  setCookies?: string[];
  body?: string;
  bodyBase64?: string;
  /** A matching If-None-Match / If-Modified-Since gets a 304. */
  conditional?: boolean;
}

export function startOrigin(options?: StartOriginOptions): Promise<RunningOrigin>;

/** The worker's own Hono env: every var of wrangler.toml (global `Env`, from `wrangler types`). Worker-only: the library uses ConsentEdgeEnv (app-env.ts). */
import type { RequestState } from "./app-env";

export type WorkerEnv = { Bindings: Env; Variables: RequestState };

// Project-specific runtime types: the worker's vars and its main module (for `exports` in tests).
declare namespace Cloudflare {
  interface Env {
    /** Send every tenant to this origin (development and tests). */
    ORIGIN?: string;
    /** Serve loopback hosts (localhost, 127.0.0.1, [::1]) as this tenant; for `npm start` only. */
    DEV_TENANT?: string;
    /** Milliseconds to wait for the origin's response headers before answering 504. */
    ORIGIN_TIMEOUT_MS?: string;
    /** Milliseconds a read of the origin's body may wait before the visitor's download ends with an error; unset = no bound (native streaming). */
    ORIGIN_BODY_IDLE_MS?: string;
  }
  interface GlobalProps {
    mainModule: typeof import("./index");
  }
}
interface Env extends Cloudflare.Env {}

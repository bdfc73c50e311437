// A trusted consent record for the soak: obtained the way a visitor gets one, by posting
// "Accept all" to the worker's /cookies, so it is signed with the secret workerd binds.
import { request } from "./load.mjs";

/** The `name=value` Cookie pair of the record an "Accept all" on `host` gets from the worker on `port`; throws if none. */
export async function acceptAllRecord({ port, host }) {
  const res = await request({
    port,
    path: "/cookies",
    method: "POST",
    headers: { host, "content-type": "application/x-www-form-urlencoded" },
    body: "action=accept&return=%2F",
  });
  const line = (res.headers?.["set-cookie"] ?? []).find((l) => /^(__Host-consent-edge|consent-edge-http)=/.test(l));
  if (res.status !== 303 || !line) throw new Error(`POST /cookies gave ${res.status} and no consent record`);
  return line.slice(0, line.indexOf(";"));
}

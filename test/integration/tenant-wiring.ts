// The worker's proxy route (src/index.ts) for a tenant that is not bundled: the same calls, in
// the same order, against the real origin (ORIGIN), so tests can use policies an operator would
// write (custom domains, report-only) without adding files to policies/.
import { env } from "cloudflare:workers";
import { BASES, TENANTS } from "../../src/policy/bundled.generated";
import { createRegistry } from "../../src/policy/load";
import type { CompiledPolicy } from "../../src/policy/types";
import { forwardToOrigin } from "../../src/proxy/forward";
import { stateFor } from "../../src/request-state";
import { rewriteHtml } from "../../src/rewrite";

/** A tenant file as an operator would write it, merged with the bundled base and validated. */
export function tenantPolicy(file: Record<string, unknown> & { id: string }): CompiledPolicy {
  const registry = createRegistry(BASES, { ...TENANTS, [`${file.id}.json`]: { extends: "opendatasoft", ...file } });
  return registry.byId(file.id)!;
}

export interface Served {
  res: Response;
  logs: Array<Record<string, unknown>>;
}

/** One visitor request through forwardToOrigin and rewriteHtml, as src/index.ts wires them. */
export async function serve(policy: CompiledPolicy, url: string, init: RequestInit = {}, options: { report?: boolean } = {}): Promise<Served> {
  const logs: Array<Record<string, unknown>> = [];
  const request = new Request(url, { redirect: "manual", ...init });
  const host = new URL(url).hostname;
  const state = await stateFor(request, policy, host, env.CONSENT_SECRET);
  const res = await forwardToOrigin(request, { policy, consent: state.consent, secure: state.secure, host }, {
    origin: new URL(env.ORIGIN!).origin,
    timeoutMs: 5000,
    log: (r) => logs.push(r as Record<string, unknown>),
  });
  const banner = !state.consent.explicit && state.consent.source !== "gpc" && policy.banner?.enabled !== false;
  const out = await rewriteHtml(res, { policy, consent: state.consent, banner, lang: "en", returnPath: new URL(url).pathname, report: options.report, secure: state.secure });
  return { res: out, logs };
}

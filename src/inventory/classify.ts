/** From the tally's sightings to inventory rows: each name classified under the tenant's policy. Pure; no I/O. */
import { RECORD_COOKIE, RECORD_COOKIE_HTTP } from "../consent/record";
import type { CompiledPolicy } from "../policy/types";
import type { InventoryRow } from "../store";
import { OVERFLOW_NAME, type TallyEntry } from "./tally";

/** The declared service of a cookie name, or of a blocked host (a `block.hosts` entry or a subdomain of one); null when unknown. */
export function serviceOf(policy: CompiledPolicy | undefined, entry: Pick<TallyEntry, "source" | "name">): string | null {
  if (!policy || entry.name === OVERFLOW_NAME) return null;
  // The worker's record under its plain-http name (development) is the record the policy declares.
  if (entry.source !== "csp") return policy.classify(entry.name === RECORD_COOKIE_HTTP ? RECORD_COOKIE : entry.name)?.service.id ?? null;
  for (const service of policy.services) {
    for (const host of service.block?.hosts ?? []) {
      if (entry.name === host || entry.name.endsWith(`.${host}`)) return service.id;
    }
  }
  return null;
}

export function inventoryRows(entries: readonly TallyEntry[], policyOf: (tenant: string) => CompiledPolicy | undefined): InventoryRow[] {
  return entries.map((e) => ({
    tenant: e.tenant,
    source: e.source,
    name: e.name,
    service: serviceOf(policyOf(e.tenant), e),
    firstSeen: e.firstSeen,
    lastSeen: e.lastSeen,
    count: e.count,
  }));
}

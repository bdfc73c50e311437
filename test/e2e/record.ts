// Trusted consent records for tests that run in Node (Chromium, wrangler dev): signed with the
// test secret by the worker's own code (Web Crypto is global in Node), as POST /cookies signs them.
import { consentKey, newConsentRecord, RECORD_COOKIE, RECORD_COOKIE_HTTP, signConsentRecord } from "../../src/consent/record";
import { POLICIES } from "../../src/policy";
import { TEST_CONSENT_SECRET } from "../secret";

export { RECORD_COOKIE, RECORD_COOKIE_HTTP };

/** The record's cookie name for the protocol. */
export function recordName(protocol: "http" | "https"): string {
  return protocol === "https" ? RECORD_COOKIE : RECORD_COOKIE_HTTP;
}

/** A valid record value granting `granted` for `tenant` (default maia), decided now. */
export async function signedRecord(granted: string[], tenant = "maia", decidedAt = Date.now()): Promise<string> {
  const policy = POLICIES.byId(tenant);
  if (!policy) throw new Error(`no tenant ${tenant}`);
  return signConsentRecord(newConsentRecord(granted, decidedAt), policy, await consentKey(TEST_CONSENT_SECRET)!);
}

// The consent record's HMAC secret in tests (vitest bindings, test/e2e/stack.ts). Not a real secret.
export const TEST_CONSENT_SECRET = "test-only-consent-secret-0123456789";

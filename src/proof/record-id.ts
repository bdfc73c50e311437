/** A new consent record id: 16 random bytes as 22 base64url characters (the format the trusted consent carries). */
export function newRecordId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export const RECORD_ID = /^[A-Za-z0-9_-]{22}$/;

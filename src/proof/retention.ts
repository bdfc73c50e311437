/**
 * How long consent records are kept. Pure; the clock is passed in.
 *
 * Default 13 months. A record is the proof of a consent for as long as that consent is relied
 * on, and for a while after, when a complaint about its last use may still come. The consent
 * here lasts 6 months (CONSENT_MAX_AGE, the CNIL's recommended time before asking again), so 13
 * months keeps every record for its consent's whole life plus 7 months; 13 months is also the
 * horizon the CNIL applies to trackers themselves. An operator with a longer legal need (a
 * dispute under way) raises CONSENT_RETENTION_MONTHS; nothing is kept longer by default.
 */
export const DEFAULT_RETENTION_MONTHS = 13;
export const MAX_RETENTION_MONTHS = 120;

/** CONSENT_RETENTION_MONTHS: the default when unset; undefined when it is not a whole number in 1..120. */
export function retentionMonths(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === "") return DEFAULT_RETENTION_MONTHS;
  const n = Number(value);
  return Number.isInteger(n) && n >= 1 && n <= MAX_RETENTION_MONTHS ? n : undefined;
}

/** Records created before this time (ms) are expired: `now` minus `months` calendar months, in UTC. */
export function retentionCutoff(now: number, months: number): number {
  const d = new Date(now);
  const day = d.getUTCDate();
  d.setUTCDate(1);
  d.setUTCMonth(d.getUTCMonth() - months);
  // Clamp to the month's last day (31 March minus one month is 28/29 February, not 3 March).
  const last = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
  d.setUTCDate(Math.min(day, last));
  return d.getTime();
}

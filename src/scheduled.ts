/**
 * The worker's cron job (`[triggers] crons` in wrangler.toml): deletes consent records older
 * than CONSENT_RETENTION_MONTHS (src/proof/retention.ts says why 13 by default), and
 * inventory lines not seen for as long. A failure throws, so the cron run shows as failed.
 */
import { DEFAULT_RETENTION_MONTHS, retentionCutoff, retentionMonths } from "./proof/retention";
import { storeOf } from "./store";

export async function scheduled(controller: ScheduledController, env: Env, _ctx?: ExecutionContext): Promise<void> {
  const store = storeOf(env);
  if (!store) return;
  let months = retentionMonths(env.CONSENT_RETENTION_MONTHS);
  if (months === undefined) {
    console.warn(JSON.stringify({ msg: "consent-edge: CONSENT_RETENTION_MONTHS is not a whole number of months in 1..120; using the default", value: env.CONSENT_RETENTION_MONTHS, months: DEFAULT_RETENTION_MONTHS }));
    months = DEFAULT_RETENTION_MONTHS;
  }
  const cutoff = retentionCutoff(controller.scheduledTime, months);
  const deleted = await store.deleteBefore(cutoff);
  console.log(JSON.stringify({ msg: "consent-edge: retention", months, before: new Date(cutoff).toISOString(), deleted }));
}

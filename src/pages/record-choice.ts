/**
 * Writes the record of a choice made through the preference form: in the background
 * (`waitUntil`), never awaited by the response, through the records queue when bound
 * (src/store/queue.ts), else straight to D1; a failed write is one log line (src/store/).
 */
import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import { cookieValues } from "../cookies/cookie-header";
import type { Lang } from "../policy/types";
import { policyHash } from "../proof/policy-hash";
import { browserFamily, buildConsentRecord, choiceVia, type ChoiceAction, type ChoicePlace } from "../proof/record";
import { inBackground, waitUntilOf } from "../store";
import { recordSinkOf } from "../store/queue";
import { chooseLang } from "./i18n";
import { optionalConsentKeys } from "./view";

export interface ChoiceMade {
  id: string;
  now: number;
  action: ChoiceAction;
  granted: ReadonlySet<string>;
  place: ChoicePlace;
  /** The language the form was shown in, when it said. */
  lang?: Lang;
}

const NONE: ReadonlySet<string> = new Set();

export function recordChoice(c: Context<AppEnv>, choice: ChoiceMade): void {
  const sink = recordSinkOf(c.env);
  if (!sink) return;
  const { policy, consent, cookies } = c.var;
  const input = {
    id: choice.id,
    tenant: policy.id,
    now: choice.now,
    action: choice.action,
    revision: policy.revision,
    keys: optionalConsentKeys(policy),
    granted: choice.granted,
    // Only a consent that counts for this policy revision can be withdrawn.
    previous: consent.explicit ? consent.granted : NONE,
    place: choice.place,
    via: choiceVia(c.req.header("sec-fetch-mode")),
    lang: choice.lang ?? chooseLang(policy, undefined, cookieValues(cookies, "django_language")[0], c.req.header("accept-language")),
    browser: browserFamily(c.req.header("user-agent")),
  };
  inBackground(
    waitUntilOf(c),
    async () => sink(buildConsentRecord({ ...input, policySha256: await policyHash(policy) })),
    { what: "consent record", tenant: policy.id, id: choice.id },
  );
}

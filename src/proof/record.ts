/**
 * The proof of one consent choice, as stored in D1 (migrations/, src/store/). Pure; no I/O,
 * no clock: the id, the time and the policy hash are passed in. Holds no IP address and no
 * cookie value (GDPR Art. 5(1)(c), data minimisation): what was decided, on which text, when,
 * where, in which language and browser family.
 */
import type { Lang } from "../policy/types";

export type ChoiceAction = "accept" | "refuse" | "save";
/** The form the choice came from: the banner, the /cookies page, or neither (a script, a tool). */
export type ChoicePlace = "banner" | "page" | "other";
/** A plain HTML form post (no JavaScript) or a fetch() from a page. */
export type ChoiceVia = "form" | "script";

export interface ConsentRecord {
  /** Random, 16 bytes as 22 base64url characters; the visitor's consent carries it too. */
  id: string;
  tenant: string;
  /** Server time, milliseconds since the epoch. */
  createdAt: number;
  /** "withdrawal" when a consent key granted before is refused by this choice. */
  kind: "choice" | "withdrawal";
  action: ChoiceAction;
  revision: string;
  /** SHA-256 (hex) of the policy as served (src/proof/policy-hash.ts). */
  policySha256: string;
  /** Every optional consent key of the policy: true granted, false refused. */
  choices: Record<string, boolean>;
  /** Keys granted before this choice and refused by it, sorted. */
  withdrawn: string[];
  place: ChoicePlace;
  via: ChoiceVia;
  lang: Lang;
  /** Browser family only (browserFamily). */
  browser: string;
}

export interface RecordInput {
  id: string;
  tenant: string;
  now: number;
  action: ChoiceAction;
  revision: string;
  policySha256: string;
  /** The policy's optional consent keys, in policy order. */
  keys: readonly string[];
  granted: ReadonlySet<string>;
  /** The keys the visitor's previous (valid, explicit) consent granted; empty when none. */
  previous: ReadonlySet<string>;
  place: ChoicePlace;
  via: ChoiceVia;
  lang: Lang;
  browser: string;
}

export function buildConsentRecord(input: RecordInput): ConsentRecord {
  const choices: Record<string, boolean> = {};
  for (const key of input.keys) choices[key] = input.granted.has(key);
  const withdrawn = [...input.previous].filter((key) => !input.granted.has(key)).sort();
  return {
    id: input.id,
    tenant: input.tenant,
    createdAt: input.now,
    kind: withdrawn.length > 0 ? "withdrawal" : "choice",
    action: input.action,
    revision: input.revision,
    policySha256: input.policySha256,
    choices,
    withdrawn,
    place: input.place,
    via: input.via,
    lang: input.lang,
    browser: input.browser,
  };
}

/** The form's hidden `from` field: "banner" or "page"; anything else (or nothing) is "other". */
export function choicePlace(from: string | null | undefined): ChoicePlace {
  return from === "banner" || from === "page" ? from : "other";
}

/**
 * How the choice was sent, from `Sec-Fetch-Mode` (Fetch Metadata): a form submission is a
 * navigation; fetch() is "cors" or "same-origin". Without the header (old browsers, tools) a
 * form is assumed; browsers send Fetch Metadata to https origins only.
 */
export function choiceVia(secFetchMode: string | null | undefined): ChoiceVia {
  return secFetchMode === "cors" || secFetchMode === "same-origin" || secFetchMode === "no-cors" ? "script" : "form";
}

// Order matters: Edge, Opera and Samsung Internet also say "Chrome", Chrome also says "Safari".
const FAMILIES: ReadonlyArray<[RegExp, string]> = [
  [/\b(?:bot|crawler|spider|crawl)\b|bot\//i, "bot"],
  [/\bEdg(?:e|A|iOS)?\//, "Edge"],
  [/\bOPR\/|\bOpera\b/, "Opera"],
  [/\bSamsungBrowser\//, "Samsung Internet"],
  [/\bFirefox\/|\bFxiOS\//, "Firefox"],
  [/(?:\b|Headless)Chrom(?:e|ium)\/|\bCriOS\//, "Chrome"],
  [/\bVersion\/[\d.]+.*\bSafari\//, "Safari"],
];

/** The browser family of a User-Agent, and nothing finer (no version, no platform): "other" when unknown. */
export function browserFamily(userAgent: string | null | undefined): string {
  if (!userAgent) return "other";
  const ua = userAgent.slice(0, 512);
  for (const [pattern, family] of FAMILIES) if (pattern.test(ua)) return family;
  return "other";
}

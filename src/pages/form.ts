/** Reads the preference form and validates its `return` path. Pure; no I/O. */
import { choicePlace, type ChoicePlace } from "../proof/record";
import type { CompiledPolicy, Lang } from "../policy/types";
import { optionalConsentKeys } from "./view";

export const RETURN_MAX_LENGTH = 1024;
export const DEFAULT_RETURN = "/cookies";

export type PreferenceAction = "accept" | "refuse" | "save";

export type PreferenceForm =
  | {
      ok: true;
      action: PreferenceAction;
      granted: Set<string>;
      returnTo: string;
      /** The hidden `from` field: which form the choice was made on. */
      place: ChoicePlace;
      /** The hidden `lang` field: the language the form was shown in, when it is one we serve. */
      lang?: Lang;
    }
  | { ok: false; error: string };

/**
 * A same-host path to redirect to, or undefined. It must start with one "/" (not "//" or "/\",
 * which browsers read as another host), hold no control characters or backslashes (the URL
 * parser drops tabs and newlines, and reads "\" as "/"), and stay on the same origin once
 * parsed. The result is the parsed path, percent-encoded, so it is a valid header value.
 */
export function safeReturnPath(value: string | null | undefined): string | undefined {
  if (typeof value !== "string" || value.length === 0 || value.length > RETURN_MAX_LENGTH) return undefined;
  if (value[0] !== "/" || value[1] === "/" || value.includes("\\")) return undefined;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) return undefined;
  const base = "https://return.invalid";
  let url: URL;
  try {
    url = new URL(value, base);
  } catch {
    return undefined;
  }
  if (url.origin !== base) return undefined;
  // Dot segments can bring two slashes to the front ("/.//evil.example" -> "//evil.example"):
  // a Location that browsers read as another host.
  if (url.pathname.startsWith("//")) return undefined;
  return url.pathname + url.search + url.hash;
}

/**
 * The visitor's choice from an `application/x-www-form-urlencoded` body: `action` is
 * accept (every optional consent key), refuse (none) or save (the checked keys the policy
 * knows; a checkbox is sent only when checked). The hidden `from` (banner | page) and `lang`
 * fields say where the choice was made, for its record. Unknown fields are ignored.
 */
export function parsePreferenceForm(form: URLSearchParams, policy: CompiledPolicy): PreferenceForm {
  const actions = form.getAll("action");
  if (actions.length !== 1) return { ok: false, error: "Expected one action: accept, refuse or save." };
  const action = actions[0];
  const keys = optionalConsentKeys(policy);
  let granted: Set<string>;
  if (action === "accept") granted = new Set(keys);
  else if (action === "refuse") granted = new Set();
  else if (action === "save") granted = new Set(keys.filter((k) => form.has(k) && form.get(k) !== ""));
  else return { ok: false, error: "Unknown action: expected accept, refuse or save." };
  const lang = form.get("lang");
  return {
    ok: true,
    action,
    granted,
    returnTo: safeReturnPath(form.get("return")) ?? DEFAULT_RETURN,
    place: choicePlace(form.get("from")),
    lang: lang !== null && policy.strings.has(lang) ? lang : undefined,
  };
}

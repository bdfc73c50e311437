// The banner as tests compare it: each response's form has a fresh id (rewrite/banner.ts newFormId)
// and the worker's controls post to the page's origin absolutely, so both are written out of the
// markup before comparing it with renderBanner / bannerBytes.
export function bannerShape(html: string): string {
  return html.replace(/ce-[0-9a-f]{24}/g, "ce-ID").replace(/"https?:\/\/[a-z0-9.:-]+\/cookies/g, '"/cookies');
}

/** bannerShape of bytes (decoded as UTF-8; the banner is ASCII). */
export function bannerShapeOf(bytes: Uint8Array): string {
  return bannerShape(new TextDecoder().decode(bytes));
}

import { BANNER_RESET } from "../src/rewrite/banner";

/** BANNER_RESET as a regular expression's source, to match what comes before the banner. */
export const RESET_RE = BANNER_RESET.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Short error pages for failures of the world (origin down, timeout, unknown host): no stack trace, no cache. */
import { escapeHtml } from "../html";

const TITLES: Record<number, string> = {
  400: "Bad Request",
  421: "Misdirected Request",
  500: "Internal Server Error",
  502: "Bad Gateway",
  504: "Gateway Timeout",
};


export function errorPage(status: number, message: string): Response {
  const title = `${status} ${TITLES[status] ?? "Error"}`;
  const body =
    `<!doctype html><html lang="en"><meta charset="utf-8"><title>${title}</title>` +
    `<h1>${title}</h1><p>${escapeHtml(message)}</p></html>\n`;
  return new Response(body, {
    status,
    headers: {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
      "content-security-policy": "default-src 'none'",
    },
  });
}

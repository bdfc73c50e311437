/** Escaping for text and double-quoted attribute values in HTML built as strings (HTML § 13.1.2.3; `'` too, for safety). Pure. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

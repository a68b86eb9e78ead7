/**
 * Escapes text for an XML text node or a quoted attribute. Patchwork's charts are SVG built as strings and rendered
 * with `| safe`, so every piece of text put into one goes through here.
 */
export function escapeXml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

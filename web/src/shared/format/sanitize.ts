// Search snippets come HTML-escaped with `<mark>` around matches; render them only through this.

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => ESCAPES[ch] ?? ch);
}

/**
 * Escape everything, then allow back exactly `<mark>` and `</mark>` (no attributes). Entities the
 * server already escaped (`&amp;lt;` after our escaping) are restored so they show once, not twice.
 */
export function sanitizeSnippet(snippet: string): string {
  return escapeHtml(snippet)
    .replace(/&lt;(\/?)mark&gt;/g, '<$1mark>')
    .replace(/&amp;(amp|lt|gt|quot|#39|#x27);/g, '&$1;');
}

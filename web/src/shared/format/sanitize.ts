// Text from outside made safe to show: search snippets (HTML-escaped with `<mark>` around matches,
// rendered only through `sanitizeSnippet`) and links a channel sent (only http(s) become `href`/`src`).

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

/**
 * The URL, normalised, when it is an absolute http(s) one; `null` otherwise. A channel's link or
 * picture goes into `href`/`src` only through this, so `javascript:`, `data:` and the like (or
 * relative paths that would point at frontline itself) never do.
 */
export function safeHttpUrl(url: string | null | undefined): string | null {
  if (!url) return null;
  let u: URL;
  try {
    u = new URL(url.trim());
  } catch {
    return null;
  }
  return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
}

// The ⚡ panel's logic: finding a template, and putting it into the draft with its placeholders
// filled and the first unfilled one selected for the operator to type over.
import type { QuickReply } from '../../shared/api/types';
import { fillPlaceholders } from './placeholders';

/** Templates whose title or text contains the query, case-insensitively; all for an empty query. */
export function filterQuickReplies(replies: readonly QuickReply[], query: string): QuickReply[] {
  const s = query.trim().toLowerCase();
  return s ? replies.filter((r) => r.title.toLowerCase().includes(s) || r.text.toLowerCase().includes(s)) : [...replies];
}

/**
 * The draft with the template in place of the selection [start, end), and the selection after it:
 * the first placeholder left unfilled, else a caret after the inserted text.
 */
export function insertQuickReply(
  draft: string,
  start: number,
  end: number,
  template: string,
  values: Record<string, string>,
): { text: string; selection: [number, number] } {
  const filled = fillPlaceholders(template, values);
  const text = draft.slice(0, start) + filled.text + draft.slice(end);
  const selection: [number, number] = filled.unfilled
    ? [start + filled.unfilled[0], start + filled.unfilled[1]]
    : [start + filled.text.length, start + filled.text.length];
  return { text, selection };
}

// The row's preview of the last message: who wrote it («Вы:», «Бот:», an operator's name). The list
// API sends the last message without its author, so the authors of messages seen in the app
// (history, stream) are remembered by id.
import type { Conversation, Message } from '../../shared/api/types';

export type Prefix = { kind: 'you' | 'bot' | 'external' } | { kind: 'operator'; name: string } | null;

/** Message id → author of the outbound messages seen so far. */
export type Authors = ReadonlyMap<number, Message['author']>;

/** `authors` with those of `ms` added (the same map when nothing is new, so selectors stay calm). */
export function rememberAuthors(authors: Authors, ms: readonly Message[]): Authors {
  const out = ms.filter((m) => m.direction === 'out' && !authors.has(m.id));
  if (out.length === 0) return authors;
  const next = new Map(authors);
  for (const m of out) next.set(m.id, m.author);
  return next;
}

/**
 * «Вы:» / «Бот:» before an outbound preview. The row's last_message has no author: it is known when
 * the message was seen (realtime or history); otherwise a bot-led chat was last answered by the bot,
 * an assigned operator-led one by its operator, and an unassigned operator-led one is left unmarked.
 */
export function previewPrefix(c: Conversation, meId: number, author?: Message['author']): Prefix {
  const lm = c.last_message;
  if (!lm || lm.direction !== 'out') return null;
  if (author) {
    if (author.kind === 'bot' || author.kind === 'system') return { kind: 'bot' };
    if (author.kind === 'external') return { kind: 'external' };
    if (author.kind === 'operator') {
      if (author.operator_id === meId) return { kind: 'you' };
      if (c.assignee && author.operator_id === c.assignee.id) return { kind: 'operator', name: c.assignee.display_name };
      return { kind: 'you' };
    }
  }
  if (c.lead === 'bot') return { kind: 'bot' };
  if (c.assignee) return c.assignee.id === meId ? { kind: 'you' } : { kind: 'operator', name: c.assignee.display_name };
  // Operator-led and unassigned: the bot's handoff message or an operator's reply; rather no prefix
  // than a wrong one.
  return null;
}

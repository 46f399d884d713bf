// How the rows of the history read (who wrote a message, what a handoff says) and how tall they are
// guessed to be before the virtualiser measures them.
import type { Handoff, Message } from '../../shared/api/types';
import { reasonLabel } from '../../shared/i18n/labels';
import type { TimelineItem } from './messages';

type T = (key: string, options?: Record<string, unknown>) => string;
type Exists = (key: string) => boolean;

/** The line a handoff shows in the history; `operatorName` when the app knows the operator. */
export function handoffText(h: Handoff, t: T, exists: Exists, operatorName?: string): string {
  const name = operatorName ?? (h.actor.operator_id != null ? `#${h.actor.operator_id}` : '');
  if (h.to === 'operator') {
    if (h.actor.kind === 'external') return t('handoff.externalTook');
    if (h.actor.kind === 'operator') return t('handoff.operatorTook', { name });
    return t('handoff.toOperator', { reason: reasonLabel(t, exists, h.reason) });
  }
  if (h.actor.kind === 'operator') return t('handoff.operatorToBot', { name });
  return t('handoff.toBot');
}

export interface People {
  meId: number | undefined;
  meName: string;
  assigneeId: number | undefined;
  assigneeName: string | undefined;
}

/**
 * The name above a bubble: the bot, Avito's app, the system, me, the chat's operator by name, or
 * «Оператор» for another one; none for the customer (their side is the left).
 */
export function authorLabel(m: Message, people: People, t: T): string | null {
  switch (m.author.kind) {
    case 'bot':
      return t('chat.bot');
    case 'external':
      return t('chat.external');
    case 'system':
      return t('chat.system');
    case 'operator': {
      const id = m.author.operator_id;
      if (id != null && id === people.meId) return people.meName;
      if (people.assigneeName !== undefined && people.assigneeId === id) return people.assigneeName;
      return t('chat.operator');
    }
    default:
      return null;
  }
}

/** A guess for rows not measured yet (the real height replaces it once the row is drawn). */
export function estimateRow(item: TimelineItem | undefined): number {
  if (!item) return 60;
  if (item.kind === 'handoff') return 40;
  if (item.kind === 'pending') return 56 + Math.floor(item.pending.text.length / 60) * 20;
  const m = item.message;
  return (
    54 +
    (m.author.kind !== 'customer' && m.direction === 'out' ? 18 : 0) +
    Math.floor(m.text.length / 60) * 20 +
    m.attachments.length * 40 +
    // A quote is two short lines; a link card a picture row with its text beside it.
    (m.quote ? 46 : 0) +
    (m.link_preview ? 84 : 0)
  );
}

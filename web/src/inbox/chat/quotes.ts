// The message a customer replied to, as shown above their bubble: who wrote it, when, and a short
// excerpt. The channel gives only its id, side and text; when that message is among the loaded ones
// it also lends its author, its time and a place to scroll to.
import type { Message, Quote } from '../../shared/api/types';
import { excerpt } from '../../shared/format/excerpt';
import { authorLabel, type People } from './timelineRows';

type T = (key: string, options?: Record<string, unknown>) => string;

/** Enough for two lines of a bubble; the rest is cut before it reaches the DOM. */
export const QUOTE_CHARS = 140;

export interface QuoteView {
  author: string;
  /** The quoted message's time when it is loaded (the channel's quote carries none). */
  createdAt: string | null;
  text: string;
  /** Our id of the quoted message when it is in the loaded history: clicking scrolls to it. */
  targetId: number | null;
}

/** The loaded messages by their channel id, for finding what a quote points at. */
export function byExternalId(messages: readonly Message[]): Map<string, Message> {
  const map = new Map<string, Message>();
  for (const m of messages) if (m.external_id) map.set(m.external_id, m);
  return map;
}

/**
 * What the quote above a bubble shows. `target` is the quoted message when it is loaded. Without
 * it the author comes from the quote's side: the customer's name, or «Продавец» for ours (the
 * channel does not say whether the bot, an operator or Avito's app wrote it).
 */
export function quoteView(q: Quote, target: Message | undefined, people: People, customerName: string | null, t: T): QuoteView {
  const customer = customerName || t('chat.customer');
  const author = target ? (authorLabel(target, people, t) ?? customer) : q.direction === 'in' ? customer : t('chat.seller');
  const text = excerpt(q.text || target?.text || '', QUOTE_CHARS);
  return {
    author,
    createdAt: target?.created_at ?? null,
    text: text || t('chat.quoteNoText'),
    targetId: target?.id ?? null,
  };
}

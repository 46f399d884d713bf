// The placeholders a quick reply may hold, explained, and its preview: filled by the messenger's
// own substitution (inbox/chat/placeholders.ts) from a sample conversation, so what the admin sees
// is what an operator's composer will do.
import type { Conversation } from '../../shared/api/types';
import { fillPlaceholders, placeholderValues } from '../../inbox/chat/placeholders';

/** Where a placeholder's value comes from in a conversation. */
export type PlaceholderSource = 'customer' | 'listing' | 'operator' | 'slot';

export interface PlaceholderDoc {
  key: string;
  source: PlaceholderSource;
}

/**
 * The keys `placeholderValues` fills: the customer's name (also as `{name}`), the listing, the
 * operator, and what the bot learned in the dialogue (its slots; these are the ones the app names —
 * a workflow may define others, filled the same way).
 */
export const PLACEHOLDERS: readonly PlaceholderDoc[] = [
  { key: 'customer_name', source: 'customer' },
  { key: 'listing_title', source: 'listing' },
  { key: 'operator_name', source: 'operator' },
  ...['order_number', 'tracking_number', 'phone', 'email', 'address', 'city', 'date', 'amount'].map((key) => ({ key, source: 'slot' as const })),
];

const KNOWN = new Set([...PLACEHOLDERS.map((p) => p.key), 'name']);
const TOKEN = /\{([a-z_][a-z0-9_]*)\}/gi;

/** The placeholders of a template, in order, without repeats (lower-cased, as they are filled). */
export function placeholdersIn(template: string): string[] {
  return [...new Set([...template.matchAll(TOKEN)].map((m) => (m[1] ?? '').toLowerCase()))];
}

/** Placeholders no conversation field is known to fill: a typo, or a slot of a custom workflow. */
export function unknownPlaceholders(template: string): string[] {
  return placeholdersIn(template).filter((k) => !KNOWN.has(k));
}

/** A conversation that has every value, for the preview. */
export function sampleConversation(): Conversation {
  return {
    id: 0,
    account: { id: 0, name: 'Авито', kind: 'avito' },
    customer: { id: 0, external_id: 'sample', name: 'Мария Иванова', avatar_url: null, phone: null },
    external_chat_id: 'sample',
    listing: { external_id: '700001', title: 'Велосипед горный Stels', price: '18 500 ₽', url: null, image_url: null },
    lead: 'operator',
    assignee: null,
    status: 'open',
    intent: null,
    slots: {
      order_number: '7157703',
      tracking_number: '80081234567890',
      phone: '+7 912 345-67-89',
      email: 'maria@example.ru',
      address: 'ул. Ленина, 12',
      city: 'Казань',
      date: '12.12',
      amount: '18 500 ₽',
    },
    unread_count: 0,
    last_message: null,
    created_at: '',
    updated_at: '',
  };
}

export interface PreviewPart {
  text: string;
  /** A placeholder the conversation had no value for: the operator types over it. */
  unfilled: boolean;
}

/**
 * The template as the composer would insert it, split so unfilled placeholders can be marked.
 * `withValues: false` previews a conversation that has none of the values (a customer without a
 * name, no listing, nothing learned yet).
 */
export function preview(template: string, operatorName: string | undefined, withValues = true): PreviewPart[] {
  const values = withValues ? placeholderValues(sampleConversation(), operatorName) : {};
  const filled = fillPlaceholders(template, values).text;
  const parts: PreviewPart[] = [];
  let last = 0;
  for (const m of filled.matchAll(TOKEN)) {
    const at = m.index ?? 0;
    if (at > last) parts.push({ text: filled.slice(last, at), unfilled: false });
    parts.push({ text: m[0], unfilled: true });
    last = at + m[0].length;
  }
  if (last < filled.length) parts.push({ text: filled.slice(last), unfilled: false });
  return parts;
}

/** `{key}` put in place of the selection [start, end), with the caret after it. */
export function insertPlaceholder(text: string, start: number, end: number, key: string): { text: string; caret: number } {
  const token = `{${key}}`;
  return { text: text.slice(0, start) + token + text.slice(end), caret: start + token.length };
}

import type { Conversation } from '../api/types';

/** A conversation row for tests; minute `id` of 10:00 is its last activity. */
export function conv(id: number, over: Partial<Conversation> = {}): Conversation {
  return {
    id,
    account: { id: 1, name: 'Авито: мебель', kind: 'avito' },
    customer: { id: id * 10, external_id: `u${id}`, name: `Клиент ${id}`, avatar_url: null, phone: null },
    external_chat_id: `c${id}`,
    listing: null,
    lead: 'bot',
    assignee: null,
    status: 'open',
    intent: null,
    slots: {},
    unread_count: 0,
    last_message: { id: id * 100, text: 'привет', direction: 'in', at: `2026-11-21T10:${String(id).padStart(2, '0')}:00.000Z` },
    created_at: '2026-11-20T10:00:00.000Z',
    updated_at: `2026-11-21T10:${String(id).padStart(2, '0')}:00.000Z`,
    ...over,
  };
}

import type { Conversation, Message } from '../api/types';

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

/** A message for tests: outbound by operator 7 unless overridden; second `id` of 10:00 is its time. */
export function msg(id: number, over: Partial<Message> = {}): Message {
  return {
    id,
    conversation_id: 1,
    direction: 'out',
    author: { kind: 'operator', operator_id: 7 },
    text: `m${id}`,
    attachments: [],
    external_id: null,
    status: 'queued',
    error: null,
    created_at: `2026-11-21T10:00:${String(id).padStart(2, '0')}.000Z`,
    ...over,
  };
}

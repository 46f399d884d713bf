import { describe, expect, it } from 'vitest';
import type { Handoff, Message, StreamEvent } from '../../shared/api/types';
import { conv, msg } from '../../shared/test/fixtures';
import { alertFor } from './alerts';

describe('alerts', () => {
  const ME = 7;
  const base = (lead: 'bot' | 'operator', assignee: { id: number; display_name: string } | null = null, accountId = 1) =>
    conv(1, { lead, assignee, account: { id: accountId, name: 'A', kind: 'avito' } });
  const ctx = (c = base('operator'), hidden: number[] = []) => ({ operatorId: ME, hiddenAccounts: new Set(hidden), conversations: new Map([[1, c]]) });
  const created = (over: Partial<Message> = {}): StreamEvent => ({
    type: 'message.created',
    seq: 1,
    conversation_id: 1,
    at: '',
    message: msg(1, { direction: 'in', author: { kind: 'customer', operator_id: null }, ...over }),
  });

  it('rings for a customer message in my or an unassigned operator chat', () => {
    expect(alertFor(created(), ctx())).toEqual({ kind: 'message', conversationId: 1 });
    expect(alertFor(created(), ctx(base('operator', { id: ME, display_name: 'Я' })))).not.toBeNull();
  });
  it('stays quiet for bot chats, other operators’ chats, hidden accounts and outbound', () => {
    expect(alertFor(created(), ctx(base('bot')))).toBeNull();
    expect(alertFor(created(), ctx(base('operator', { id: 99, display_name: 'X' })))).toBeNull();
    expect(alertFor(created(), ctx(base('operator'), [1]))).toBeNull();
    expect(alertFor(created({ direction: 'out', author: { kind: 'bot', operator_id: null } }), ctx())).toBeNull();
    expect(alertFor({ ...created(), type: 'message.updated' } as StreamEvent, ctx())).toBeNull();
  });
  it('rings for every handoff to operators, but not my own take-over', () => {
    const lead = (actor: Handoff['actor'], to: 'bot' | 'operator' = 'operator'): StreamEvent => ({
      type: 'conversation.lead_changed',
      seq: 2,
      conversation_id: 1,
      at: '',
      conversation: base('operator'),
      handoff: { id: 1, conversation_id: 1, from: 'bot', to, reason: 'customer_asked', actor, intent: null, summary: null, slots: {}, briefing: 'b', created_at: '' },
    });
    expect(alertFor(lead({ kind: 'bot', operator_id: null }), ctx())).toEqual({ kind: 'handoff', conversationId: 1 });
    expect(alertFor(lead({ kind: 'operator', operator_id: ME }), ctx())).toBeNull();
    expect(alertFor(lead({ kind: 'bot', operator_id: null }, 'bot'), ctx())).toBeNull();
  });
});

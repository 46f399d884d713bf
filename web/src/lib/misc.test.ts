import { describe, expect, it } from 'vitest';
import type { Handoff, Message, StreamEvent } from '../api/types';
import { conv } from '../test/fixtures';
import { fillPlaceholders, placeholderValues } from './placeholders';
import { sanitizeSnippet } from './sanitize';
import { formatListTime, formatSize } from './time';
import { buildTimeline, mergeMessages, reconcilePending, settlePending } from './messages';
import { alertFor } from './alerts';
import { clearDraft, loadDraft, saveDraft } from './drafts';

describe('placeholders', () => {
  const c = conv(1, { customer: { id: 1, external_id: 'u', name: 'Мария', avatar_url: null, phone: null }, slots: { order_number: '7157703' } });
  const values = placeholderValues(c, 'Ольга');

  it('fills known placeholders from the conversation', () => {
    const r = fillPlaceholders('Здравствуйте, {customer_name}! Заказ {order_number} проверю. {operator_name}', values);
    expect(r.text).toBe('Здравствуйте, Мария! Заказ 7157703 проверю. Ольга');
    expect(r.unfilled).toBeNull();
  });

  it('leaves an unknown placeholder visible and reports where it is', () => {
    const r = fillPlaceholders('{name}, трек: {tracking}, ещё {other}', values);
    expect(r.text).toBe('Мария, трек: {tracking}, ещё {other}');
    expect(r.unfilled).toEqual([13, 23]);
    expect(r.text.slice(13, 23)).toBe('{tracking}');
  });

  it('a missing customer name stays a placeholder', () => {
    const r = fillPlaceholders('Привет, {customer_name}', placeholderValues(conv(2, { customer: { id: 2, external_id: 'x', name: null, avatar_url: null, phone: null } }), undefined));
    expect(r.text).toBe('Привет, {customer_name}');
    expect(r.unfilled).toEqual([8, 23]);
  });
});

describe('sanitizeSnippet', () => {
  it('keeps mark and the server’s escaping', () => {
    expect(sanitizeSnippet('где мой <mark>заказ</mark> &lt;b&gt;')).toBe('где мой <mark>заказ</mark> &lt;b&gt;');
  });
  it('neutralises any other tag or attribute', () => {
    const out = sanitizeSnippet('<img src=x onerror=alert(1)><mark class="x">a</mark><script>x</script>');
    expect(out).not.toMatch(/<img|<script|<mark /);
    expect(out).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(out).toContain('&lt;script&gt;');
  });
  it('allows only the exact mark tags', () => {
    const el = document.createElement('div');
    el.innerHTML = sanitizeSnippet('a <mark>b</mark> <b>c</b> <MARK>d</MARK>');
    expect([...el.querySelectorAll('*')].map((e) => e.tagName)).toEqual(['MARK']);
  });
});

describe('time formatting', () => {
  const now = new Date(2026, 10, 21, 15, 0);
  it('HH:MM today, date otherwise', () => {
    expect(formatListTime(new Date(2026, 10, 21, 9, 5).toISOString(), now)).toBe('09:05');
    expect(formatListTime(new Date(2026, 10, 20, 23, 59).toISOString(), now)).toBe('20.11');
    expect(formatListTime(new Date(2025, 0, 3, 8, 0).toISOString(), now)).toBe('03.01.25');
    expect(formatListTime('garbage', now)).toBe('');
  });
  it('sizes', () => {
    expect(formatSize(512)).toBe('512 B');
    expect(formatSize(2048)).toBe('2.0 KB');
    expect(formatSize(3 * 1024 * 1024)).toBe('3.0 MB');
  });
});

function msg(id: number, over: Partial<Message> = {}): Message {
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

describe('message merge', () => {
  it('the realtime echo of a sent message does not duplicate it', () => {
    let list = mergeMessages([msg(1)], [msg(2)]);
    list = mergeMessages(list, [msg(2, { status: 'sent' })]);
    expect(list.map((m) => [m.id, m.status])).toEqual([
      [1, 'queued'],
      [2, 'sent'],
    ]);
  });
  it('a stale copy does not undo a later status; a retry moves failed to queued', () => {
    let list = mergeMessages([], [msg(1, { status: 'delivered' })]);
    list = mergeMessages(list, [msg(1, { status: 'sent' })]);
    expect(list[0]?.status).toBe('delivered');
    list = mergeMessages([msg(3, { status: 'failed' })], [msg(3, { status: 'queued' })]);
    expect(list[0]?.status).toBe('queued');
  });
  it('the echo arriving before the POST answer replaces the pending copy, once', () => {
    const pending = [
      { localId: 'a', text: 'Добрый день', attachments: 0, createdAt: '' },
      { localId: 'b', text: 'Добрый день', attachments: 0, createdAt: '' },
      { localId: 'c', text: 'Фото', attachments: 1, createdAt: '' },
    ];
    const afterEcho = reconcilePending(pending, msg(9, { text: 'Добрый день' }));
    expect(afterEcho.map((p) => p.localId)).toEqual(['b', 'c']);
    expect(reconcilePending(afterEcho, msg(10, { text: 'Фото' })).map((p) => p.localId)).toEqual(['b', 'c']);
    expect(reconcilePending(afterEcho, msg(11, { direction: 'in', text: 'Добрый день' }))).toBe(afterEcho);
    // Then the POST answers for 'a': nothing left to settle, and the message merges by id.
    expect(settlePending(afterEcho, 'a').map((p) => p.localId)).toEqual(['b', 'c']);
    expect(mergeMessages([msg(9, { status: 'sent' })], [msg(9, { status: 'queued' })]).length).toBe(1);
  });

  it('older pages are put in order', () => {
    const list = mergeMessages([msg(5), msg(6)], [msg(3), msg(4)]);
    expect(list.map((m) => m.id)).toEqual([3, 4, 5, 6]);
  });
  it('handoffs interleave by time; older ones wait for their page', () => {
    const h = (id: number, at: string): Handoff => ({
      id,
      conversation_id: 1,
      from: 'bot',
      to: 'operator',
      reason: 'customer_asked',
      actor: { kind: 'bot', operator_id: null },
      intent: null,
      summary: null,
      slots: {},
      briefing: null,
      created_at: at,
    });
    const t = buildTimeline([msg(5), msg(7)], [h(1, '2026-11-21T10:00:06.000Z'), h(2, '2026-11-21T10:00:01.000Z')], [], true);
    expect(t.map((i) => i.key)).toEqual(['m5', 'h1', 'm7']);
    const all = buildTimeline([msg(5), msg(7)], [h(2, '2026-11-21T10:00:01.000Z')], [{ localId: 'l1', text: 'x', createdAt: 'z' }], false);
    expect(all.map((i) => i.key)).toEqual(['h2', 'm5', 'm7', 'l1']);
  });
});

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

describe('drafts', () => {
  it('persist per conversation and clear', () => {
    saveDraft(1, 'черновик');
    saveDraft(2, 'другой');
    expect(loadDraft(1)).toBe('черновик');
    expect(loadDraft(2)).toBe('другой');
    saveDraft(1, '   ');
    expect(loadDraft(1)).toBe('');
    clearDraft(2);
    expect(loadDraft(2)).toBe('');
    expect(loadDraft(3)).toBe('');
  });
});

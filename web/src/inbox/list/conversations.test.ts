import { describe, expect, it } from 'vitest';
import type { Conversation } from '../../shared/api/types';
import { conv, msg } from '../../shared/test/fixtures';
import { accountIdsParam, newMessagePatch, tabView, toggleHidden, unreadByTab, upsertConversations, type ConvMap } from './conversations';
const ME = 7;
const ids = (cs: Conversation[]) => cs.map((c) => c.id);

describe('conversation list', () => {
  it('upserts and orders by last activity, newest first', () => {
    let m: ConvMap = new Map();
    m = upsertConversations(m, [conv(1), conv(3), conv(2)]);
    expect(ids(tabView(m, 'bot', ME, new Set()))).toEqual([3, 2, 1]);
    m = upsertConversations(m, [conv(1, { last_message: { id: 5, text: 'new', direction: 'in', at: '2026-11-21T11:00:00.000Z' }, updated_at: '2026-11-21T11:00:00.000Z' })]);
    expect(ids(tabView(m, 'bot', ME, new Set()))).toEqual([1, 3, 2]);
  });

  it('keeps the newer version when an older copy arrives later', () => {
    let m: ConvMap = upsertConversations(new Map(), [conv(1, { lead: 'operator', updated_at: '2026-11-21T12:00:00.000Z' })]);
    m = upsertConversations(m, [conv(1, { lead: 'bot', updated_at: '2026-11-21T11:00:00.000Z' })]);
    expect(m.get(1)?.lead).toBe('operator');
  });

  it('a lead change moves the row from «Бот» to «Мои»', () => {
    let m: ConvMap = upsertConversations(new Map(), [conv(1), conv(2)]);
    expect(ids(tabView(m, 'bot', ME, new Set()))).toEqual([2, 1]);
    expect(ids(tabView(m, 'mine', ME, new Set()))).toEqual([]);
    m = upsertConversations(m, [conv(1, { lead: 'operator', updated_at: '2026-11-21T13:00:00.000Z' })]);
    expect(ids(tabView(m, 'bot', ME, new Set()))).toEqual([2]);
    expect(ids(tabView(m, 'mine', ME, new Set()))).toEqual([1]);
  });

  it('«Мои» holds my and unassigned operator chats, not other operators’', () => {
    const m = upsertConversations(new Map(), [
      conv(1, { lead: 'operator', assignee: { id: ME, display_name: 'Я' } }),
      conv(2, { lead: 'operator', assignee: null }),
      conv(3, { lead: 'operator', assignee: { id: 99, display_name: 'Другой' } }),
    ]);
    expect(ids(tabView(m, 'mine', ME, new Set()))).toEqual([2, 1]);
    expect(ids(tabView(m, 'all', ME, new Set()))).toEqual([3, 2, 1]);
  });

  it('hides chats of unchecked accounts', () => {
    const m = upsertConversations(new Map(), [conv(1), conv(2, { account: { id: 2, name: 'B', kind: 'avito' } })]);
    expect(ids(tabView(m, 'bot', ME, new Set([2])))).toEqual([1]);
    expect(accountIdsParam([1, 2, 3], new Set())).toBeUndefined();
    expect(accountIdsParam([1, 2, 3], new Set([2]))).toBe('1,3');
    expect(accountIdsParam([1, 2], new Set([1, 2]))).toBe('');
  });

  it('a new message becomes the preview; a customer’s counts as unread unless the chat is open', () => {
    const c = conv(1, { unread_count: 2 });
    const inbound = msg(500, { direction: 'in', text: 'ещё вопрос', created_at: '2026-11-21T10:05:00.000Z' });
    expect(newMessagePatch(c, inbound, null)).toEqual({
      last_message: { id: 500, text: 'ещё вопрос', direction: 'in', at: '2026-11-21T10:05:00.000Z' },
      unread_count: 3,
    });
    expect(newMessagePatch(c, inbound, 1)?.unread_count).toBe(2);
    expect(newMessagePatch(c, { ...inbound, direction: 'out' }, null)?.unread_count).toBe(2);
    // Already shown, or older than what the row shows: nothing to change.
    expect(newMessagePatch(conv(1, { last_message: { id: 500, text: '', direction: 'in', at: '2026-11-21T10:05:00.000Z' } }), inbound, null)).toBeNull();
    expect(newMessagePatch(c, { ...inbound, created_at: '2026-11-21T09:00:00.000Z' }, null)).toBeNull();
  });

  it('counts chats with unread messages per tab, leaving out hidden accounts', () => {
    const m = upsertConversations(new Map(), [
      conv(1, { unread_count: 1 }),
      conv(2, { unread_count: 0 }),
      conv(3, { lead: 'operator', unread_count: 4 }),
      conv(4, { lead: 'operator', assignee: { id: 99, display_name: 'Другой' }, unread_count: 1 }),
      conv(5, { unread_count: 2, account: { id: 2, name: 'B', kind: 'avito' } }),
    ]);
    expect(unreadByTab(m, ['bot', 'mine', 'all'], ME, new Set([2]))).toEqual({ bot: 1, mine: 1, all: 3 });
    expect(unreadByTab(m, ['bot', 'mine'], ME, new Set())).toEqual({ bot: 2, mine: 1, all: 0 });
  });

  it('ticking an account shows it, unticking hides it', () => {
    expect(toggleHidden([], 2)).toEqual([2]);
    expect(toggleHidden([1, 2, 3], 2)).toEqual([1, 3]);
  });
});

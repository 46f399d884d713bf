import { describe, expect, it } from 'vitest';
import type { Handoff } from '../../shared/api/types';
import { msg } from '../../shared/test/fixtures';
import { buildTimeline, mergeMessages, reconcilePending, settlePending } from './messages';

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

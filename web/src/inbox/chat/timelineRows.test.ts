import { describe, expect, it } from 'vitest';
import type { Handoff } from '../../shared/api/types';
import i18n from '../../shared/i18n';
import { msg } from '../../shared/test/fixtures';
import { addHandoff } from './messages';
import { authorLabel, estimateRow, handoffText } from './timelineRows';

const t = i18n.getFixedT('ru');
const exists = (k: string) => i18n.exists(k, { lng: 'ru' });
const handoff = (over: Partial<Handoff> = {}): Handoff => ({
  id: 1,
  conversation_id: 1,
  from: 'bot',
  to: 'operator',
  reason: 'customer_asked',
  actor: { kind: 'bot', operator_id: null },
  intent: null,
  summary: null,
  slots: {},
  briefing: null,
  created_at: '2026-11-21T10:00:00.000Z',
  ...over,
});

describe('history rows', () => {
  it('a handoff says who moved the chat where, and why when the bot did', () => {
    expect(handoffText(handoff(), t, exists)).toBe('Бот передал диалог оператору: клиент попросил оператора');
    expect(handoffText(handoff({ reason: 'brand_new' as Handoff['reason'] }), t, exists)).toBe('Бот передал диалог оператору: brand new');
    expect(handoffText(handoff({ actor: { kind: 'external', operator_id: null } }), t, exists)).toBe('Ответили из приложения Авито — диалог у оператора');
    expect(handoffText(handoff({ actor: { kind: 'operator', operator_id: 5 } }), t, exists, 'Ольга')).toBe('Оператор Ольга взял диалог');
    expect(handoffText(handoff({ actor: { kind: 'operator', operator_id: 5 } }), t, exists)).toBe('Оператор #5 взял диалог');
    expect(handoffText(handoff({ to: 'bot', from: 'operator', actor: { kind: 'operator', operator_id: 5 } }), t, exists, 'Ольга')).toBe('Оператор Ольга передал диалог боту');
    expect(handoffText(handoff({ to: 'bot', from: 'operator', actor: { kind: 'system', operator_id: null } }), t, exists)).toBe('Диалог передан боту');
  });

  it('names the author above a bubble: me, the chat’s operator, another operator, the bot', () => {
    const people = { meId: 7, meName: 'Админ', assigneeId: 8, assigneeName: 'Ольга' };
    expect(authorLabel(msg(1), people, t)).toBe('Админ');
    expect(authorLabel(msg(1, { author: { kind: 'operator', operator_id: 8 } }), people, t)).toBe('Ольга');
    expect(authorLabel(msg(1, { author: { kind: 'operator', operator_id: 9 } }), people, t)).toBe('Оператор');
    expect(authorLabel(msg(1, { author: { kind: 'bot', operator_id: null } }), people, t)).toBe('Бот');
    expect(authorLabel(msg(1, { author: { kind: 'external', operator_id: null } }), people, t)).toBe('Из приложения Авито');
    expect(authorLabel(msg(1, { author: { kind: 'system', operator_id: null } }), people, t)).toBe('Система');
    expect(authorLabel(msg(1, { direction: 'in', author: { kind: 'customer', operator_id: null } }), people, t)).toBeNull();
  });

  it('guesses taller rows for longer texts and attachments', () => {
    const short = estimateRow({ kind: 'message', key: 'm1', at: '', message: msg(1, { text: 'да' }) });
    const long = estimateRow({ kind: 'message', key: 'm2', at: '', message: msg(2, { text: 'x'.repeat(200) }) });
    const withFile = estimateRow({ kind: 'message', key: 'm3', at: '', message: msg(3, { text: 'да', attachments: [{ type: 'file', url: '/f' }] }) });
    expect(long).toBeGreaterThan(short);
    expect(withFile).toBeGreaterThan(short);
    const quoting = estimateRow({ kind: 'message', key: 'm4', at: '', message: msg(4, { text: 'да', quote: { external_id: 'a', direction: 'in', text: 'x' } }) });
    const linking = estimateRow({ kind: 'message', key: 'm5', at: '', message: msg(5, { text: 'да', link_preview: { url: 'https://a.ru', title: 'A' } }) });
    expect(quoting).toBeGreaterThan(short);
    expect(linking).toBeGreaterThan(short);
    expect(estimateRow({ kind: 'handoff', key: 'h1', at: '', handoff: handoff() })).toBe(40);
    expect(estimateRow(undefined)).toBe(60);
  });

  it('a handoff from the stream joins the history once and moves the briefing', () => {
    const withBriefing = handoff({ id: 2, briefing: 'Клиент ждёт звонка' });
    const a = addHandoff({ handoffs: [], briefing: null }, withBriefing);
    expect(a.handoffs.map((h) => h.id)).toEqual([2]);
    expect(a.briefing).toBe(withBriefing);
    const again = addHandoff(a, withBriefing);
    expect(again.handoffs).toBe(a.handoffs);
    expect(addHandoff(a, handoff({ id: 3, to: 'bot', from: 'operator' })).briefing).toBeNull();
    // A handoff to operators without a briefing keeps the one shown.
    expect(addHandoff(a, handoff({ id: 4 })).briefing).toBe(withBriefing);
  });
});

import { describe, expect, it } from 'vitest';
import { conv, msg } from '../../shared/test/fixtures';
import { previewPrefix, rememberAuthors } from './preview';

describe('preview of the last message', () => {
  it('the preview prefix follows the author when known, else the lead and assignee', () => {
    const out = { id: 1, text: 'Передаю оператору', direction: 'out' as const, at: '2026-01-01T00:00:00.000Z' };
    expect(previewPrefix(conv(1, { lead: 'operator', last_message: out }), 7)).toBeNull();
    expect(previewPrefix(conv(1, { lead: 'bot', last_message: out }), 7)).toEqual({ kind: 'bot' });
    expect(previewPrefix(conv(1, { lead: 'operator', assignee: { id: 7, display_name: 'Я' }, last_message: out }), 7)).toEqual({ kind: 'you' });
    expect(previewPrefix(conv(1, { lead: 'operator', assignee: { id: 8, display_name: 'Ольга' }, last_message: out }), 7)).toEqual({ kind: 'operator', name: 'Ольга' });
    expect(previewPrefix(conv(1, { lead: 'operator', assignee: { id: 7, display_name: 'Я' }, last_message: out }), 7, { kind: 'bot', operator_id: null })).toEqual({ kind: 'bot' });
    expect(previewPrefix(conv(1, { lead: 'bot', last_message: out }), 7, { kind: 'external', operator_id: null })).toEqual({ kind: 'external' });
    expect(previewPrefix(conv(1, { last_message: { ...out, direction: 'in' } }), 7)).toBeNull();
  });

  it('remembers who wrote outbound messages, and keeps the map when nothing is new', () => {
    const empty = new Map();
    const a = rememberAuthors(empty, [msg(1), msg(2, { direction: 'in', author: { kind: 'customer', operator_id: null } })]);
    expect([...a.entries()]).toEqual([[1, { kind: 'operator', operator_id: 7 }]]);
    expect(rememberAuthors(a, [msg(1)])).toBe(a);
    expect(rememberAuthors(a, [])).toBe(a);
    const b = rememberAuthors(a, [msg(3, { author: { kind: 'bot', operator_id: null } })]);
    expect(b.get(3)).toEqual({ kind: 'bot', operator_id: null });
    expect(a.has(3)).toBe(false);
  });
});

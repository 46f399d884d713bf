import { describe, expect, it } from 'vitest';
import i18n from '../../shared/i18n';
import { msg } from '../../shared/test/fixtures';
import { byExternalId, QUOTE_CHARS, quoteView } from './quotes';

const t = i18n.getFixedT('ru');
const people = { meId: 7, meName: 'Анна', assigneeId: 7, assigneeName: 'Анна' };

describe('quoteView', () => {
  const asked = msg(1, { direction: 'in', author: { kind: 'customer', operator_id: null }, text: 'Диван ещё продаётся?', external_id: 'av-1' });
  const answered = msg(2, { direction: 'out', author: { kind: 'bot', operator_id: null }, text: 'Да, продаётся', external_id: 'av-2' });
  const loaded = byExternalId([asked, answered, msg(3)]);

  it('finds loaded messages by their channel id, skipping ours that have none', () => {
    expect([...loaded.keys()]).toEqual(['av-1', 'av-2']);
  });

  it('a loaded quoted message lends its author, time and id to scroll to', () => {
    const q = { external_id: 'av-2', direction: 'out' as const, text: 'Да, продаётся' };
    expect(quoteView(q, loaded.get('av-2'), people, 'Ольга', t)).toEqual({
      author: 'Бот',
      createdAt: answered.created_at,
      text: 'Да, продаётся',
      targetId: 2,
    });
    const own = { external_id: 'av-1', direction: 'in' as const, text: 'Диван ещё продаётся?' };
    expect(quoteView(own, loaded.get('av-1'), people, 'Ольга', t).author).toBe('Ольга');
  });

  it('one not loaded is named by its side, has no time and nothing to scroll to', () => {
    const theirs = quoteView({ external_id: 'old', direction: 'in', text: 'Здравствуйте' }, undefined, people, 'Ольга', t);
    expect(theirs).toEqual({ author: 'Ольга', createdAt: null, text: 'Здравствуйте', targetId: null });
    expect(quoteView({ external_id: 'old', direction: 'in', text: 'x' }, undefined, people, null, t).author).toBe('Клиент');
    expect(quoteView({ external_id: 'old', direction: 'out', text: 'x' }, undefined, people, 'Ольга', t).author).toBe('Продавец');
    expect(quoteView({ external_id: 'old', direction: 'out', text: 'x' }, undefined, people, 'Ольга', i18n.getFixedT('en')).author).toBe('Seller');
  });

  it('long text is cut to an excerpt, empty text says so', () => {
    const long = quoteView({ external_id: 'x', direction: 'in', text: 'слово '.repeat(100) }, undefined, people, null, t);
    expect(Array.from(long.text).length).toBeLessThanOrEqual(QUOTE_CHARS);
    expect(long.text.endsWith('…')).toBe(true);
    expect(quoteView({ external_id: 'x', direction: 'in', text: '  ' }, undefined, people, null, t).text).toBe('Сообщение без текста');
  });
});

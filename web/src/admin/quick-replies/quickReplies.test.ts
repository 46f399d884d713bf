import { describe, expect, it } from 'vitest';
import i18n from '../../shared/i18n';
import type { QuickReply } from '../../shared/api/types';
import { insertPlaceholder, placeholdersIn, preview, unknownPlaceholders } from './placeholders';
import { checkQrDraft, ownReplies, splitQuickReplies } from './quickReplyForm';

const t = i18n.t.bind(i18n) as (k: string, o?: Record<string, unknown>) => string;
const qr = (id: number, title: string, shared: boolean, owner_id: number | null = null): QuickReply => ({ id, title, text: 't', shared, owner_id, created_at: '' });

describe('the preview of a quick reply', () => {
  it('fills placeholders as the composer does, from a sample conversation', () => {
    const parts = preview('Здравствуйте, {customer_name}! Заказ {order_number} по «{listing_title}». {operator_name}', 'Ольга');
    expect(parts).toEqual([{ text: 'Здравствуйте, Мария Иванова! Заказ 7157703 по «Велосипед горный Stels». Ольга', unfilled: false }]);
    expect(preview('{Name}, привет', 'Ольга')).toEqual([{ text: 'Мария Иванова, привет', unfilled: false }]);
  });

  it('marks what no conversation field fills, and everything in a conversation without values', () => {
    expect(preview('Трек {tracking}, {customer_name}', 'Ольга')).toEqual([
      { text: 'Трек ', unfilled: false },
      { text: '{tracking}', unfilled: true },
      { text: ', Мария Иванова', unfilled: false },
    ]);
    expect(preview('Привет, {customer_name}!', undefined, false)).toEqual([
      { text: 'Привет, ', unfilled: false },
      { text: '{customer_name}', unfilled: true },
      { text: '!', unfilled: false },
    ]);
  });

  it('lists the placeholders of a template and the ones nothing is known to fill', () => {
    const text = '{customer_name}, {Order_Number} и {tracking} и {customer_name} {name}';
    expect(placeholdersIn(text)).toEqual(['customer_name', 'order_number', 'tracking', 'name']);
    expect(unknownPlaceholders(text)).toEqual(['tracking']);
    expect(placeholdersIn('{ не } {1x} текст')).toEqual([]);
  });

  it('a placeholder goes in place of the selection, the caret after it', () => {
    expect(insertPlaceholder('Привет, !', 8, 8, 'customer_name')).toEqual({ text: 'Привет, {customer_name}!', caret: 23 });
    expect(insertPlaceholder('Привет, Мария!', 8, 13, 'customer_name')).toEqual({ text: 'Привет, {customer_name}!', caret: 23 });
  });
});

describe('the quick reply form', () => {
  it('needs a title and a text within the server limits', () => {
    expect(checkQrDraft({ title: ' ', text: '', shared: true }, t)).toEqual({ errors: { title: 'Обязательное поле', text: 'Обязательное поле' } });
    expect(checkQrDraft({ title: 'я'.repeat(101), text: 'x'.repeat(4001), shared: true }, t)).toEqual({
      errors: { title: 'Не длиннее 100 символов', text: 'Не длиннее 4000 символов' },
    });
    expect(checkQrDraft({ title: ' Привет ', text: ' Здравствуйте! ', shared: false }, t)).toEqual({ request: { title: 'Привет', text: 'Здравствуйте!', shared: false } });
  });

  it('splits the shared bank from the admin’s own, each by title', () => {
    const s = splitQuickReplies([qr(1, 'Прощание', true), qr(2, 'Моё', false, 7), qr(3, 'Адрес', true), qr(4, 'Чужое', false, 8)], 7);
    expect(s.shared.map((q) => q.id)).toEqual([3, 1]);
    expect(s.mine.map((q) => q.id)).toEqual([2]);
  });

  it('picks one operator’s own replies out of what the server lists for them', () => {
    const list = [qr(1, 'Прощание', true), qr(5, 'Ясно', false, 8), qr(4, 'Адрес доставки', false, 8)];
    expect(ownReplies(list, 8).map((q) => q.id)).toEqual([4, 5]);
    expect(ownReplies(list, 9)).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import type { QuickReply } from '../../shared/api/types';
import { filterQuickReplies, insertQuickReply } from './quickReplyTemplates';

const reply = (id: number, title: string, text: string): QuickReply => ({ id, title, text, shared: true, owner_id: null, created_at: '' });

describe('quick replies', () => {
  const replies = [reply(1, 'Приветствие', 'Здравствуйте, {customer_name}!'), reply(2, 'Статус заказа', 'Ваш заказ {order_number} в пути'), reply(3, 'Прощание', 'Хорошего дня')];

  it('finds templates by title or text, whatever the case', () => {
    expect(filterQuickReplies(replies, '').map((r) => r.id)).toEqual([1, 2, 3]);
    expect(filterQuickReplies(replies, '  ЗАКАЗ ').map((r) => r.id)).toEqual([2]);
    expect(filterQuickReplies(replies, 'дня').map((r) => r.id)).toEqual([3]);
    expect(filterQuickReplies(replies, 'нет такого')).toEqual([]);
  });

  it('replaces the selection with the filled template and selects the unfilled placeholder', () => {
    const r = insertQuickReply('Добрый день! XX Спасибо', 13, 15, 'Заказ {order_number}, трек {tracking}', { order_number: '123' });
    expect(r.text).toBe('Добрый день! Заказ 123, трек {tracking} Спасибо');
    expect(r.text.slice(...r.selection)).toBe('{tracking}');
  });

  it('puts the caret after the template when everything is filled', () => {
    const r = insertQuickReply('', 0, 0, 'Здравствуйте, {customer_name}!', { customer_name: 'Мария' });
    expect(r).toEqual({ text: 'Здравствуйте, Мария!', selection: [20, 20] });
  });
});

import { describe, expect, it } from 'vitest';
import { conv } from '../../shared/test/fixtures';
import { fillPlaceholders, placeholderValues } from './placeholders';

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

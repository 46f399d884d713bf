import { describe, expect, it, afterEach } from 'vitest';
import { cleanup, render, screen } from '@testing-library/react';
import { CustomerCard, cardsSummary } from './Cards';
import i18n from '../../shared/i18n';
import { conv } from '../../shared/test/fixtures';

afterEach(cleanup);

describe('CustomerCard', () => {
  it('names the topic and the slots instead of showing their keys; unknown keys are made readable', () => {
    const c = conv(5, { intent: 'order_status', slots: { order_number: '123456', delivery_window: 'вечер' } });
    render(<CustomerCard conv={c} />);
    expect(screen.getByTestId('customer-intent').textContent).toBe('Статус заказа');
    const card = screen.getByTestId('customer-card');
    expect(card.querySelector('[data-slot="order_number"] dt')?.textContent).toBe('Номер заказа');
    expect(card.querySelector('[data-slot="delivery_window"] dt')?.textContent).toBe('delivery window');
    expect(card.textContent).not.toContain('order_status');
    expect(card.textContent).not.toContain('order_number');
  });

  it('the phone strip sums up the listing, the price and the topic, else names the customer', () => {
    const t = i18n.getFixedT('ru');
    const exists = (k: string) => i18n.exists(k, { lng: 'ru' });
    const listing = { external_id: 'l', title: 'Диван', price: '10 000 ₽', url: null, image_url: null };
    expect(cardsSummary(conv(1, { listing, intent: 'order_status' }), t, exists)).toBe('Диван · 10 000 ₽ · Тема: Статус заказа');
    expect(cardsSummary(conv(1, { listing: { ...listing, price: null } }), t, exists)).toBe('Диван');
    expect(cardsSummary(conv(1), t, exists)).toBe('Клиент 1');
    expect(cardsSummary(conv(1, { customer: { id: 1, external_id: 'u', name: null, avatar_url: null, phone: null } }), t, exists)).toBe('Клиент');
  });
});

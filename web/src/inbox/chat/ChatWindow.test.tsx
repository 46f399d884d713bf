import { describe, expect, it, afterEach } from 'vitest';
import { cleanup, render, screen } from '@testing-library/react';
import { CustomerCard } from './ChatWindow';
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
});

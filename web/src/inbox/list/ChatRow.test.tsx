import { describe, expect, it, vi, afterEach } from 'vitest';
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { ChatRow } from './ChatRow';
import { conv } from '../../shared/test/fixtures';

afterEach(cleanup);

describe('ChatRow', () => {
  it('renders the required parts', () => {
    const c = conv(3, {
      lead: 'operator',
      unread_count: 4,
      listing: { external_id: 'l', title: 'Диван', price: '10 000 ₽', url: 'https://avito.ru/1', image_url: 'https://img/1.jpg' },
      last_message: { id: 1, text: 'Сейчас проверю', direction: 'out', at: new Date().toISOString() },
    });
    const onOpen = vi.fn();
    render(<ChatRow conversation={c} meId={7} lastAuthor={{ kind: 'operator', operator_id: 7 }} active={false} onOpen={onOpen} />);
    const row = screen.getByTestId('chat-row');
    expect(row.dataset.conversationId).toBe('3');
    expect(row.dataset.lead).toBe('operator');
    expect(row.dataset.accountId).toBe('1');
    expect(screen.getByTestId('chat-row-name').textContent).toBe('Клиент 3');
    expect(screen.getByTestId('chat-row-preview').textContent).toBe('Вы: Сейчас проверю');
    expect(screen.getByTestId('chat-row-unread').textContent).toBe('4');
    expect(screen.getByTestId('chat-row-status').textContent).toBe('Оператор');
    expect(screen.getByTestId('chat-row-operator').textContent).toBe('Не назначен');
    expect(screen.getByTestId('chat-row-account').textContent).toBe('Авито: мебель');
    expect(screen.getByTestId('chat-row-time').textContent).toMatch(/^\d\d:\d\d$/);
    expect(screen.getByTestId('chat-row-listing-thumb')).toBeTruthy();
    expect(screen.getByTestId('chat-row-avatar').textContent).toBe('К3');
    fireEvent.click(row);
    expect(onOpen).toHaveBeenCalledWith(3);
  });

  it('bot chats show «Бот:» for outbound and no unread badge when read', () => {
    render(<ChatRow conversation={conv(4, { last_message: { id: 1, text: 'Ответ', direction: 'out', at: '2026-01-01T00:00:00.000Z' } })} active={false} onOpen={() => {}} />);
    expect(screen.getByTestId('chat-row-preview').textContent).toBe('Бот: Ответ');
    expect(screen.queryByTestId('chat-row-unread')).toBeNull();
    expect(screen.queryByTestId('chat-row-listing-thumb')).toBeNull();
  });
});

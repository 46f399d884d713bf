import { describe, expect, it, vi, afterEach } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { ChatRow, previewPrefix } from './ChatRow';
import { Composer } from './Composer';
import { CustomerCard } from './ChatWindow';
import { conv } from '../test/fixtures';
import { loadDraft } from '../lib/drafts';

afterEach(() => {
  cleanup();
  localStorage.clear();
});

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

  it('bot chats show «Бот:» for outbound and no unread badge when read', () => {
    render(<ChatRow conversation={conv(4, { last_message: { id: 1, text: 'Ответ', direction: 'out', at: '2026-01-01T00:00:00.000Z' } })} active={false} onOpen={() => {}} />);
    expect(screen.getByTestId('chat-row-preview').textContent).toBe('Бот: Ответ');
    expect(screen.queryByTestId('chat-row-unread')).toBeNull();
    expect(screen.queryByTestId('chat-row-listing-thumb')).toBeNull();
  });
});

describe('Composer', () => {
  const setup = (onSend = vi.fn().mockResolvedValue(undefined), online = true) => {
    render(<Composer conversationId={9} online={online} quickReplies={[{ id: 1, title: 'Привет', text: 'Здравствуйте, {customer_name}! {tracking}', shared: true, owner_id: null, created_at: '' }]} placeholderValues={{ customer_name: 'Мария' }} onSend={onSend} />);
    return { onSend, input: screen.getByTestId('composer-input') as HTMLTextAreaElement };
  };

  it('Enter sends, Shift+Enter does not', async () => {
    const { onSend, input } = setup();
    fireEvent.change(input, { target: { value: 'Добрый день' } });
    fireEvent.keyDown(input, { key: 'Enter', shiftKey: true });
    expect(onSend).not.toHaveBeenCalled();
    fireEvent.keyDown(input, { key: 'Enter' });
    await waitFor(() => expect(onSend).toHaveBeenCalledWith('Добрый день', []));
    await waitFor(() => expect(input.value).toBe(''));
  });

  it('keeps the text and shows the error when sending fails; the draft survives', async () => {
    const { input } = setup(vi.fn().mockRejectedValue(new Error('boom')));
    fireEvent.change(input, { target: { value: 'Важный ответ' } });
    expect(loadDraft(9)).toBe('Важный ответ');
    fireEvent.keyDown(input, { key: 'Enter' });
    await waitFor(() => expect(screen.getByRole('alert').textContent).toContain('Не отправлено'));
    expect(input.value).toBe('Важный ответ');
  });

  it('offline: send is disabled and the text stays', () => {
    const { onSend, input } = setup(undefined, false);
    fireEvent.change(input, { target: { value: 'текст' } });
    expect((screen.getByTestId('composer-send') as HTMLButtonElement).disabled).toBe(true);
    fireEvent.keyDown(input, { key: 'Enter' });
    expect(onSend).not.toHaveBeenCalled();
    expect(input.value).toBe('текст');
  });

  it('a quick reply is inserted with placeholders filled and the unfilled one selected', async () => {
    const { input } = setup();
    fireEvent.click(screen.getByTestId('quick-replies-button'));
    fireEvent.keyDown(screen.getByTestId('quick-replies-search'), { key: 'Enter' });
    await waitFor(() => expect(input.value).toBe('Здравствуйте, Мария! {tracking}'));
    expect(input.value.slice(input.selectionStart, input.selectionEnd)).toBe('{tracking}');
    expect(screen.queryByTestId('quick-replies-panel')).toBeNull();
  });
});

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

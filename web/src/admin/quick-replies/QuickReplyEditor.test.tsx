import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { ApiError } from '../../shared/api/client';
import { QuickReplyEditor } from './QuickReplyEditor';

afterEach(cleanup);

const saved = { id: 9, title: 'Доставка', text: 'x', shared: true, owner_id: null, created_at: '' };

describe('the quick reply editor', () => {
  it('previews the text live, filled as the composer fills it, unfilled placeholders marked', () => {
    render(<QuickReplyEditor operatorName="Ольга" onSave={vi.fn()} onSaved={vi.fn()} />);
    const text = screen.getByTestId('qr-text');
    fireEvent.change(text, { target: { value: '{customer_name}, заказ {order_number} в пути. Трек: {trek}. {operator_name}' } });
    expect(screen.getByTestId('qr-preview-text').textContent).toBe('Мария Иванова, заказ 7157703 в пути. Трек: {trek}. Ольга');
    expect(screen.getAllByTestId('qr-unfilled').map((m) => m.textContent)).toEqual(['{trek}']);
    expect(screen.getAllByTestId('field').find((f) => f.dataset.field === 'text')!.textContent).toContain('{trek} — такого поля мессенджер не знает');

    fireEvent.click(screen.getByTestId('qr-preview-empty'));
    expect(screen.getAllByTestId('qr-unfilled').map((m) => m.textContent)).toEqual(['{customer_name}', '{order_number}', '{trek}', '{operator_name}']);
  });

  it('a placeholder from the list goes in at the caret', () => {
    render(<QuickReplyEditor operatorName="Ольга" onSave={vi.fn()} onSaved={vi.fn()} />);
    const text = screen.getByTestId('qr-text') as HTMLTextAreaElement;
    fireEvent.change(text, { target: { value: 'Здравствуйте, !' } });
    text.setSelectionRange(14, 14);
    fireEvent.click(screen.getAllByTestId('qr-placeholder').find((b) => b.dataset.key === 'customer_name')!);
    expect(text.value).toBe('Здравствуйте, {customer_name}!');
    expect(screen.getByTestId('qr-preview-text').textContent).toBe('Здравствуйте, Мария Иванова!');
  });

  it('validates before saving, shows the server’s refusal at its field, then saves shared or personal', async () => {
    const onSave = vi.fn().mockRejectedValueOnce(new ApiError(422, 'validation_failed', 'must be at most 100 characters', 'title')).mockResolvedValueOnce(saved);
    const onSaved = vi.fn();
    render(<QuickReplyEditor operatorName="Ольга" onSave={onSave} onSaved={onSaved} />);
    fireEvent.click(screen.getByTestId('qr-save'));
    expect(onSave).not.toHaveBeenCalled();
    expect(screen.getAllByTestId('field-error').map((e) => [e.dataset.field, e.textContent])).toEqual([
      ['title', 'Обязательное поле'],
      ['text', 'Обязательное поле'],
    ]);
    fireEvent.change(screen.getByTestId('qr-title'), { target: { value: 'Доставка' } });
    fireEvent.change(screen.getByTestId('qr-text'), { target: { value: 'Доставим завтра' } });
    fireEvent.click(screen.getByTestId('qr-personal'));
    fireEvent.click(screen.getByTestId('qr-save'));
    expect(await screen.findByText('must be at most 100 characters')).toBeTruthy();
    expect(onSave).toHaveBeenLastCalledWith({ title: 'Доставка', text: 'Доставим завтра', shared: false });
    fireEvent.click(screen.getByTestId('qr-save'));
    await waitFor(() => expect(onSaved).toHaveBeenCalledWith(saved));
    expect((screen.getByTestId('qr-title') as HTMLInputElement).value).toBe('');
  });
});

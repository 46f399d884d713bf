import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { ApiError } from '../../shared/api/client';
import { AvitoConnectForm } from './AvitoConnectForm';
import { TokenOnce } from './TokenOnce';

afterEach(cleanup);

const field = (name: string) => screen.getAllByTestId('field').find((f) => f.dataset.field === name)!;
const fill = (values: Record<string, string>) => {
  for (const [k, v] of Object.entries(values)) fireEvent.change(screen.getByTestId(`avito-${k}`), { target: { value: v } });
};
const connected = { account: { id: 3, kind: 'avito' as const, name: 'Мебель', enabled: true, callback_url: null, has_inbound_token: false, created_at: '' }, subscribed: true };

describe('connecting an Avito account', () => {
  it('an incomplete form is not sent; each empty field says so', () => {
    const onConnect = vi.fn();
    render(<AvitoConnectForm onConnect={onConnect} onConnected={vi.fn()} />);
    fill({ name: 'Мебель', user_id: 'abc' });
    fireEvent.click(screen.getByTestId('avito-connect-submit'));
    expect(onConnect).not.toHaveBeenCalled();
    expect(within(field('user_id')).getByTestId('field-error').textContent).toBe('Номер профиля Авито — целое положительное число');
    expect(within(field('client_id')).getByTestId('field-error').textContent).toBe('Обязательное поле');
    expect(within(field('client_secret')).getByTestId('field-error').textContent).toBe('Обязательное поле');
    expect(within(field('name')).queryByTestId('field-error')).toBeNull();
    // Typing in a field clears its error.
    fill({ client_id: 'demo-shop' });
    expect(within(field('client_id')).queryByTestId('field-error')).toBeNull();
  });

  it('Avito refusing the secret is shown at the secret; the right one connects and clears the form', async () => {
    const onConnect = vi
      .fn()
      .mockRejectedValueOnce(new ApiError(422, 'avito_credentials_rejected', 'Avito rejected the client id and secret: invalid_client: unknown client_id or wrong client_secret'))
      .mockResolvedValueOnce(connected);
    const onConnected = vi.fn();
    render(<AvitoConnectForm onConnect={onConnect} onConnected={onConnected} />);
    fill({ name: 'Мебель', user_id: '1001', client_id: 'demo-shop', client_secret: 'wrong' });
    fireEvent.click(screen.getByTestId('avito-connect-submit'));
    const error = await within(field('client_secret')).findByTestId('field-error');
    expect(error.textContent).toContain('Авито не принял Client ID и Client secret');
    expect(error.textContent).toContain('wrong client_secret');
    expect(screen.getByTestId('avito-client_secret').getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByTestId('avito-client_secret').getAttribute('aria-describedby')).toContain(error.id);
    expect(screen.queryByTestId('avito-connect-error')).toBeNull();
    expect(onConnect).toHaveBeenLastCalledWith({ name: 'Мебель', user_id: 1001, client_id: 'demo-shop', client_secret: 'wrong' });

    fill({ client_secret: 'demo-shop-secret' });
    fireEvent.click(screen.getByTestId('avito-connect-submit'));
    await waitFor(() => expect(onConnected).toHaveBeenCalledWith(connected));
    expect((screen.getByTestId('avito-name') as HTMLInputElement).value).toBe('');
    expect(screen.queryAllByTestId('field-error')).toHaveLength(0);
  });

  it('Avito being down is the form’s error, not a field’s', async () => {
    render(<AvitoConnectForm onConnect={vi.fn().mockRejectedValue(new ApiError(502, 'avito_unavailable', 'connection refused'))} onConnected={vi.fn()} />);
    fill({ name: 'Мебель', user_id: '1001', client_id: 'demo-shop', client_secret: 'x' });
    fireEvent.click(screen.getByTestId('avito-connect-submit'));
    expect((await screen.findByTestId('avito-connect-error')).textContent).toBe('Авито не отвечает, попробуйте позже (connection refused)');
    expect(screen.queryAllByTestId('field-error')).toHaveLength(0);
  });
});

describe('a token shown once', () => {
  it('is copied to the clipboard', async () => {
    const writeText = vi.fn().mockResolvedValue(undefined);
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    const onClose = vi.fn();
    render(<TokenOnce token="tok-123" onClose={onClose} />);
    expect(screen.getByTestId('token-value').textContent).toBe('tok-123');
    fireEvent.click(screen.getByTestId('token-copy'));
    expect(writeText).toHaveBeenCalledWith('tok-123');
    expect((await screen.findByTestId('token-copied')).textContent).toBe('Скопировано');
    fireEvent.click(screen.getByTestId('token-close'));
    expect(onClose).toHaveBeenCalled();
  });
});

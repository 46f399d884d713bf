import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import type { Account } from '../../shared/api/types';
import { useSession } from '../../shared/session/store';
import * as api from './api';
import { ChannelsPage } from './ChannelsPage';

vi.mock('./api', () => ({
  listAccounts: vi.fn(),
  connectAvito: vi.fn(),
  createAccount: vi.fn(),
  setEnabled: vi.fn(),
  setCallbackUrl: vi.fn(),
  deleteAccount: vi.fn(),
  rotateToken: vi.fn(),
  disconnectAvito: vi.fn(),
  webhookHealth: vi.fn(),
  resubscribe: vi.fn(),
  syncAvito: vi.fn(),
  pollAvito: vi.fn(),
  avitoStatus: vi.fn(),
}));

const m = vi.mocked(api);
const avito: Account = { id: 4, kind: 'avito', name: 'Авито: Мебель', enabled: true, callback_url: null, has_inbound_token: false, created_at: '2026-11-20T10:00:00Z' };
const site: Account = { id: 5, kind: 'api', name: 'Сайт', enabled: true, callback_url: null, has_inbound_token: true, created_at: '2026-11-20T10:00:00Z' };

afterEach(() => {
  cleanup();
  vi.clearAllMocks();
});

const status = (over: Partial<api.AvitoAccountStatus> = {}): api.AvitoAccountStatus => ({
  user_id: 1001,
  client_id: 'demo-shop',
  connected_at: '2026-11-20T10:00:00Z',
  has_refresh_token: false,
  token: { state: 'valid', expires_at: '2026-11-21T10:00:00Z', requests: 1 },
  since: '2026-11-20T09:00:00Z',
  ...over,
});

describe('«Каналы»', () => {
  it('a connected account appears with its webhook state and reaches the messenger’s list', async () => {
    m.listAccounts.mockResolvedValue([]);
    m.connectAvito.mockResolvedValue({ account: avito, subscribed: true });
    m.webhookHealth.mockResolvedValue({ subscribed: true, subscriptions: [{ url: 'https://x/api/v1/webhooks/avito/4/s' }], pending_deliveries: 0 });
    m.avitoStatus.mockResolvedValue(status());
    render(<ChannelsPage />);
    expect(await screen.findByText('Аккаунты Авито ещё не подключены.')).toBeTruthy();
    for (const [k, v] of Object.entries({ name: 'Авито: Мебель', user_id: '1001', client_id: 'demo-shop', client_secret: 'demo-shop-secret' }))
      fireEvent.change(screen.getByTestId(`avito-${k}`), { target: { value: v } });
    fireEvent.click(screen.getByTestId('avito-connect-submit'));
    const card = await screen.findByTestId('avito-account');
    expect((await within(card).findByTestId('webhook-state')).dataset.state).toBe('subscribed');
    expect(m.webhookHealth).toHaveBeenCalledWith(4);
    expect((await within(card).findByTestId('avito-status-token')).dataset.state).toBe('valid');
    expect(within(card).getByTestId('avito-status').textContent).toContain('client id demo-shop');
    expect(screen.getByTestId('channels-notice').textContent).toContain('«Авито: Мебель» подключён');
    await waitFor(() => expect(useSession.getState().accounts.map((a) => a.id)).toEqual([4]));
  });

  it('an Avito account is turned off by disconnecting it; the sync says what it imported', async () => {
    m.listAccounts.mockResolvedValue([avito]);
    m.webhookHealth.mockResolvedValue({ subscribed: true, subscriptions: [], pending_deliveries: 3 });
    m.syncAvito.mockResolvedValue({ chats: 2, messages_created: 5, messages_skipped: 1, conversations_created: 2 });
    m.disconnectAvito.mockResolvedValue({ ...avito, enabled: false });
    m.avitoStatus.mockResolvedValue(status());
    render(<ChannelsPage />);
    const card = await screen.findByTestId('avito-account');
    expect((await within(card).findByText('3 доставки ждут обработки'))).toBeTruthy();
    fireEvent.click(within(card).getByTestId('avito-sync'));
    expect((await within(card).findByTestId('avito-result')).textContent).toBe('Готово: чатов 2, новых сообщений 5 (уже были: 1), новых диалогов 2.');
    // The status is asked again after the sync.
    await waitFor(() => expect(m.avitoStatus.mock.calls.length).toBeGreaterThanOrEqual(2));
    fireEvent.click(within(card).getByTestId('account-toggle'));
    await waitFor(() => expect(within(card).getByTestId('account-state').textContent).toBe('Выключен'));
    expect(m.disconnectAvito).toHaveBeenCalledWith(4);
    expect(m.setEnabled).not.toHaveBeenCalled();
    // Off: no sync or poll; Avito is asked about the webhook again.
    expect(within(card).queryByTestId('avito-sync')).toBeNull();
    await waitFor(() => expect(m.webhookHealth).toHaveBeenCalledTimes(2));
  });

  it('a new API account shows its token once; a refused delete says why on the card', async () => {
    m.listAccounts.mockResolvedValue([]);
    m.createAccount.mockResolvedValue({ account: site, inbound_token: 'tok-1' });
    const { ApiError } = await import('../../shared/api/client');
    m.deleteAccount.mockRejectedValue(new ApiError(409, 'conflict', 'the account has 1 conversations; disable it instead'));
    render(<ChannelsPage />);
    await screen.findByText('API-аккаунтов нет.');
    fireEvent.change(screen.getByTestId('api-name'), { target: { value: 'Сайт' } });
    fireEvent.click(screen.getByTestId('api-create-submit'));
    const card = await screen.findByTestId('api-account');
    expect(m.createAccount).toHaveBeenCalledWith({ kind: 'api', name: 'Сайт' });
    expect(within(card).getByTestId('token-value').textContent).toBe('tok-1');
    fireEvent.click(within(card).getByTestId('token-close'));
    expect(within(card).queryByTestId('token-once')).toBeNull();
    fireEvent.click(within(card).getByTestId('account-delete'));
    fireEvent.click(within(card).getByTestId('account-delete-yes'));
    expect((await within(card).findByTestId('account-error')).textContent).toBe('the account has 1 conversations; disable it instead');
    expect(screen.getByTestId('api-account')).toBeTruthy();
  });
});

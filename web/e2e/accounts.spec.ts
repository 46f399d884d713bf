// «Аккаунты (N)»: hiding an account's conversations, a choice kept on the server for the operator.
import { login, openTab, row, shot } from './support/browser';
import { botChat, expect, test } from './support/fixtures';

test('unchecking an account hides its chats and the choice survives a reload (server-side)', async ({ page, state, api, sim }) => {
  const [shop, service] = state.accounts;
  const a = await botChat(api, sim, { account: shop.userId, first: 'Ирина' });
  const b = await botChat(api, sim, { account: service.userId, first: 'Олег' });
  await api.put('/me/preferences', { hidden_account_ids: [], sound: true, language: null });
  try {
    await login(page, state.server.url, state.admin);
    await openTab(page, 'all');
    await expect(row(page, a.conversation.id)).toBeVisible();
    await expect(row(page, b.conversation.id)).toBeVisible();
    await expect(row(page, b.conversation.id)).toHaveAttribute('data-account-id', String(service.id));

    const button = page.getByTestId('accounts-button');
    await expect(button).toHaveText('Аккаунты (2)');
    await button.click();
    const panel = page.getByTestId('accounts-panel');
    await expect(panel).toBeVisible();
    const boxes = panel.getByTestId('account-checkbox');
    await expect(boxes).toHaveCount(2);
    await expect(panel).toContainText(shop.name);
    await expect(panel).toContainText(service.name);
    const serviceBox = panel.locator(`[data-testid="account-checkbox"][data-account-id="${service.id}"]`);
    await expect(serviceBox).toBeChecked();
    await shot(page, 'desktop-05-accounts-panel');

    await serviceBox.uncheck();
    await expect(serviceBox).not.toBeChecked();
    await expect(row(page, b.conversation.id)).toHaveCount(0);
    await expect(page.getByTestId('chat-list').locator(`[data-account-id="${service.id}"]`)).toHaveCount(0);
    await expect(row(page, a.conversation.id)).toBeVisible();

    // Kept on the server, for this operator.
    await expect
      .poll(async () => (await api.get<{ hidden_account_ids: number[] }>('/me/preferences')).hidden_account_ids)
      .toEqual([service.id]);

    // A fresh browser (no localStorage) signed in as the same operator gets the same choice.
    await page.context().clearCookies();
    await page.evaluate(() => localStorage.clear());
    await page.reload();
    await login(page, state.server.url, state.admin);
    await openTab(page, 'all');
    await expect(row(page, a.conversation.id)).toBeVisible();
    await expect(row(page, b.conversation.id)).toHaveCount(0);
    await page.getByTestId('accounts-button').click();
    const again = page.getByTestId('accounts-panel').locator(`[data-testid="account-checkbox"][data-account-id="${service.id}"]`);
    await expect(again).not.toBeChecked();
    await again.check();
    await expect(row(page, b.conversation.id)).toBeVisible();
    await expect
      .poll(async () => (await api.get<{ hidden_account_ids: number[] }>('/me/preferences')).hidden_account_ids)
      .toEqual([]);
  } finally {
    await api.put('/me/preferences', { hidden_account_ids: [], sound: true, language: null });
  }
});

test('the reload keeps the hidden account (same browser)', async ({ page, state, api, sim }) => {
  const [, service] = state.accounts;
  const b = await botChat(api, sim, { account: service.userId, first: 'Дарья' });
  await api.put('/me/preferences', { hidden_account_ids: [], sound: true, language: null });
  try {
    await login(page, state.server.url, state.admin);
    await openTab(page, 'all');
    await expect(row(page, b.conversation.id)).toBeVisible();
    await page.getByTestId('accounts-button').click();
    await page.getByTestId('accounts-panel').locator(`[data-testid="account-checkbox"][data-account-id="${service.id}"]`).uncheck();
    await expect(row(page, b.conversation.id)).toHaveCount(0);
    await expect
      .poll(async () => (await api.get<{ hidden_account_ids: number[] }>('/me/preferences')).hidden_account_ids)
      .toEqual([service.id]);
    await page.reload();
    await expect(page.getByTestId('connection-status')).toHaveAttribute('data-state', 'connected');
    await openTab(page, 'all');
    await expect(page.getByTestId('chat-row').first()).toBeVisible();
    await expect(row(page, b.conversation.id)).toHaveCount(0);
  } finally {
    await api.put('/me/preferences', { hidden_account_ids: [], sound: true, language: null });
  }
});

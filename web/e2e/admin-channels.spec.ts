// «Каналы»: a shop owner connects an Avito account from the screen (a wrong secret is refused at
// its field, the right one connects and subscribes the webhook), imports and polls it, turns it off
// and on; an API account's token is shown once, works, and a new one replaces it. Against a server
// of this spec's own: the shared one has both simulator accounts connected already.
import { login, shot } from './support/browser';
import { Api, Sim } from './support/api';
import { expect, test } from './support/fixtures';
import { type Isolated, startIsolated, stopIsolated } from './support/isolated';

let own: Isolated;
test.beforeAll(async () => {
  own = await startIsolated();
});
test.afterAll(async () => {
  if (own) await stopIsolated(own);
});

/** POSTs a customer's message to an API account's inbound endpoint; the HTTP status. */
async function inbound(accountId: number, token: string, n: number): Promise<number> {
  const r = await fetch(`${own.server.url}/api/v1/inbound/${accountId}/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ external_chat_id: 'site-chat-1', external_message_id: `site-msg-${n}`, customer: { external_id: 'site-user-1', name: 'Пётр' }, text: 'Здравствуйте' }),
  });
  return r.status;
}

test('an Avito account: a wrong secret is refused at the secret, the right one connects; sync, poll, off and on', async ({ page }) => {
  const sim = new Sim(own.sim.url);
  const shop = (await sim.accounts()).find((a) => a.user_id === 1001)!;
  const api = await Api.login(own.server.url, own.admin.login, own.admin.password);
  const ourHooks = async (id: number) =>
    ((await sim.accounts()).find((a) => a.user_id === 1001) as unknown as { subscriptions: string[] }).subscriptions.filter((u) =>
      u.startsWith(`${own.server.url}/api/v1/webhooks/avito/${id}/`),
    );

  await login(page, own.server.url, own.admin);
  await page.goto(`${own.server.url}/admin/channels`);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Каналы');
  await expect(page.getByText('Аккаунты Авито ещё не подключены.')).toBeVisible();

  const form = page.getByTestId('avito-connect');
  await form.getByTestId('avito-connect-submit').click();
  await expect(form.locator('[data-testid="field-error"]')).toHaveCount(4);

  await form.getByTestId('avito-name').fill('Авито: Мебель');
  await form.getByTestId('avito-user_id').fill(String(shop.user_id));
  await form.getByTestId('avito-client_id').fill(shop.client_id);
  await form.getByTestId('avito-client_secret').fill(`${shop.client_secret}-wrong`);
  await form.getByTestId('avito-connect-submit').click();
  const secretError = form.locator('[data-testid="field-error"][data-field="client_secret"]');
  await expect(secretError).toContainText('Авито не принял Client ID и Client secret');
  await expect(secretError).toContainText('invalid_client');
  await expect(form.locator('[data-testid="field-error"]')).toHaveCount(1);
  await expect(form.getByTestId('avito-client_secret')).toHaveAttribute('aria-invalid', 'true');
  await expect(form.getByTestId('avito-connect-error')).toHaveCount(0);
  expect(await api.get<unknown[]>('/accounts'), 'nothing is stored for refused credentials').toEqual([]);
  await shot(page, 'desktop-50-admin-channels-secret-refused');

  await form.getByTestId('avito-client_secret').fill(shop.client_secret);
  await expect(secretError).toHaveCount(0);
  await form.getByTestId('avito-connect-submit').click();
  const card = page.getByTestId('avito-account');
  await expect(card).toHaveCount(1);
  await expect(card).toContainText('Авито: Мебель');
  await expect(page.getByTestId('channels-notice')).toContainText('«Авито: Мебель» подключён, вебхук оформлен');
  await expect(form.getByTestId('avito-client_secret')).toHaveValue('');
  const [account] = await api.get<{ id: number; name: string; kind: string; enabled: boolean }[]>('/accounts');
  expect(account).toMatchObject({ name: 'Авито: Мебель', kind: 'avito', enabled: true });
  await expect(card).toHaveAttribute('data-account-id', String(account!.id));
  await expect(card.getByTestId('webhook-state')).toHaveAttribute('data-state', 'subscribed');
  expect(await ourHooks(account!.id), 'Avito (the simulator) delivers to this server').toHaveLength(1);

  await card.getByTestId('avito-sync').click();
  await expect(card.getByTestId('avito-result')).toContainText(/Готово: чатов [1-9]/);
  await card.getByTestId('avito-poll').click();
  await expect(card.getByTestId('avito-result')).toContainText('Пропущенных сообщений найдено: ');
  // The status block: the token the webhook subscription fetched, the sync and the poll just run.
  await expect(card.getByTestId('avito-status-token')).toHaveAttribute('data-state', 'valid');
  await expect(card.getByTestId('avito-status-sync')).toHaveAttribute('data-state', 'ok');
  await expect(card.getByTestId('avito-status-sync')).toContainText(/чатов [1-9]/);
  await expect(card.getByTestId('avito-status-poll')).toHaveAttribute('data-state', 'ok');
  await expect(card.getByTestId('avito-status')).toContainText(`client id ${shop.client_id}`);
  await expect(card.getByTestId('avito-status-error')).toHaveCount(0);
  await shot(page, 'desktop-51-admin-channels-avito');

  // Off: the webhook is unsubscribed at Avito, and Avito says so on the card.
  await card.getByTestId('account-toggle').click();
  await expect(card.getByTestId('account-state')).toHaveText('Выключен');
  await expect(card.getByTestId('webhook-state')).toHaveAttribute('data-state', 'missing');
  expect(await ourHooks(account!.id)).toHaveLength(0);
  expect((await api.get<{ enabled: boolean }>(`/accounts/${account!.id}`)).enabled).toBe(false);

  await card.getByTestId('account-toggle').click();
  await expect(card.getByTestId('account-state')).toHaveText('Включён');
  await card.getByTestId('webhook-resubscribe').click();
  await expect(card.getByTestId('webhook-state')).toHaveAttribute('data-state', 'subscribed');
  expect(await ourHooks(account!.id)).toHaveLength(1);

  // The imported history keeps it from being deleted: the server says why, on the card.
  await card.getByTestId('account-delete').click();
  await card.getByTestId('account-delete-yes').click();
  await expect(card.getByTestId('account-error')).toContainText('conversations; disable it instead');
  await expect(card).toHaveCount(1);

  // The messenger's account list has it too, without a reload.
  await page.getByTestId('inbox-link').click();
  await expect(page.getByTestId('accounts-button')).toHaveText('Аккаунты (1)');
});

test('an API account: the token is shown once and works; a new one replaces it at once', async ({ page, context }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await login(page, own.server.url, own.admin);
  await page.goto(`${own.server.url}/admin/channels`);
  const form = page.getByTestId('api-create');
  await form.getByTestId('api-name').fill('Сайт магазина');
  await form.getByTestId('api-callback').fill('crm.example/hook');
  await form.getByTestId('api-create-submit').click();
  await expect(form.locator('[data-testid="field-error"][data-field="callback_url"]')).toHaveText('Адрес должен начинаться с http:// или https://');
  await form.getByTestId('api-callback').fill('https://crm.example/hook');
  await form.getByTestId('api-create-submit').click();

  const card = page.getByTestId('api-account').filter({ hasText: 'Сайт магазина' });
  await expect(card).toHaveCount(1);
  const id = Number(await card.getAttribute('data-account-id'));
  await expect(card.getByTestId('inbound-endpoint')).toContainText(`${own.server.url}/api/v1/inbound/${id}/messages`);
  await expect(card.getByTestId('token-once')).toBeVisible();
  const first = (await card.getByTestId('token-value').textContent())!;
  expect(first.length).toBeGreaterThan(30);
  await card.getByTestId('token-copy').click();
  await expect(card.getByTestId('token-copied')).toHaveText('Скопировано');
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(first);
  await shot(page, 'desktop-52-admin-channels-api-token');
  expect(await inbound(id, first, 1), 'the token shown lets the site post a message').toBe(202);

  // Once: closed, or after a reload, it is gone from the screen (the server keeps only its hash).
  await card.getByTestId('token-close').click();
  await expect(card.getByTestId('token-once')).toHaveCount(0);
  await page.reload();
  await expect(card.getByTestId('token-state')).toHaveText('токен выдан');
  await expect(page.getByTestId('token-once')).toHaveCount(0);
  await expect(page.locator('body')).not.toContainText(first);

  await card.getByTestId('token-rotate').click();
  await card.getByTestId('token-rotate-yes').click();
  await expect(card.getByTestId('token-once')).toBeVisible();
  const second = (await card.getByTestId('token-value').textContent())!;
  expect(second).not.toBe(first);
  expect(await inbound(id, first, 2), 'the old token stops working at once').toBe(401);
  expect(await inbound(id, second, 3)).toBe(202);

  // An account without conversations is deleted after the confirm.
  await form.getByTestId('api-name').fill('Черновик');
  await form.getByTestId('api-create-submit').click();
  const draft = page.getByTestId('api-account').filter({ hasText: 'Черновик' });
  await expect(draft).toHaveCount(1);
  await draft.getByTestId('account-delete').click();
  await expect(draft.getByTestId('account-delete-confirm')).toContainText('Удалить «Черновик»?');
  await draft.getByTestId('account-delete-yes').click();
  await expect(draft).toHaveCount(0);
  const api = await Api.login(own.server.url, own.admin.login, own.admin.password);
  expect((await api.get<{ name: string }[]>('/accounts')).map((a) => a.name)).not.toContain('Черновик');
});

test("a voice line: its settings are shown and edited; the transfer is kept without its secret coming back", async ({ page }) => {
  const api = await Api.login(own.server.url, own.admin.login, own.admin.password);
  const created = await api.post<{ account: { id: number } }>('/accounts', {
    kind: 'voice',
    name: 'Телефон магазина',
    settings: { greeting: 'Алло, магазин!', transfer: { kind: 'webhook', url: 'http://127.0.0.1:9/transfer?token=t0k', secret: 'line-secret-1' } },
  });
  const id = created.account.id;
  await login(page, own.server.url, own.admin);
  await page.goto(`${own.server.url}/admin/channels`);
  const card = page.locator(`[data-account-id="${id}"]`);
  const settings = card.getByTestId('voice-settings');
  await settings.locator('summary').click();
  await expect(settings.getByTestId('voice-greeting')).toHaveValue('Алло, магазин!');
  await expect(settings.getByTestId('voice-transfer')).toHaveAttribute('data-kind', 'webhook');
  await expect(settings.getByTestId('voice-transfer')).toContainText('http://127.0.0.1:9/transfer');
  await expect(settings.getByTestId('voice-transfer')).not.toContainText('t0k');
  await settings.getByTestId('voice-greeting').fill('Добрый день, это магазин.');
  await settings.getByTestId('voice-max_reprompts').fill('3');
  await settings.getByTestId('voice-save').click();
  await expect(settings.getByTestId('voice-notice')).toContainText('Сохранено');
  await shot(page, 'desktop-52b-admin-channels-voice-line');

  await page.reload();
  await card.getByTestId('voice-settings').locator('summary').click();
  await expect(card.getByTestId('voice-greeting')).toHaveValue('Добрый день, это магазин.');
  const line = await api.get<{ settings: { greeting: string; max_reprompts: number; transfer: { kind: string; secret_set: boolean } } }>(`/accounts/${id}`);
  expect(line.settings).toMatchObject({ greeting: 'Добрый день, это магазин.', max_reprompts: 3, transfer: { kind: 'webhook', secret_set: true } });
  expect(JSON.stringify(line)).not.toContain('line-secret-1');
});

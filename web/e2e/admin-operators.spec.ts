// «Операторы»: an admin creates an operator (the password policy said and enforced at the field),
// and turning them off ends their open sessions at once — the API token's next request and the
// operator's open messenger (another browser) are refused. A new password ends them too.
import { login, shot } from './support/browser';
import { Api, ApiError } from './support/api';
import { expect, test } from './support/fixtures';

async function refused(api: Api): Promise<number | null> {
  try {
    await api.get('/me');
    return null;
  } catch (e) {
    return e instanceof ApiError ? e.status : -1;
  }
}

test('a new operator; turning them off ends their sessions at once, a new password too', async ({ page, browser, state }) => {
  const base = state.server.url;
  const who = { login: `masha${Date.now() % 100_000}`, name: 'Мария Кузнецова', password: 'masha-pass-2026' };

  await login(page, base, state.admin);
  await page.goto(`${base}/admin/operators`);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Операторы');
  const list = page.getByTestId('operators-list');
  await expect(list.locator(`[data-testid="operator-row"][data-login="${state.operator.login}"]`)).toContainText(state.operator.name);
  // The admin's own row cannot turn itself off.
  await expect(list.locator(`[data-testid="operator-row"][data-login="${state.admin.login}"]`).getByTestId('operator-deactivate')).toBeDisabled();

  const form = page.getByTestId('operator-create');
  await expect(form.locator('[data-testid="field"][data-field="password"]')).toContainText('От 8 до 256 символов.');
  await form.getByTestId('operator-login').fill(who.login);
  await form.getByTestId('operator-name').fill(who.name);
  await form.getByTestId('operator-password').fill('short');
  await form.getByTestId('operator-create-submit').click();
  await expect(form.locator('[data-testid="field-error"][data-field="password"]')).toHaveText('Не короче 8 символов');
  await form.getByTestId('operator-password').fill(who.password);
  await form.getByTestId('operator-create-submit').click();
  const row = list.locator(`[data-testid="operator-row"][data-login="${who.login}"]`);
  await expect(row).toContainText(who.name);
  await expect(row.getByTestId('operator-state')).toHaveText('Может входить');

  // The login is taken now: the server's conflict is shown at the login.
  await form.getByTestId('operator-login').fill(who.login);
  await form.getByTestId('operator-name').fill('Другая Мария');
  await form.getByTestId('operator-password').fill(who.password);
  await form.getByTestId('operator-create-submit').click();
  await expect(form.locator('[data-testid="field-error"][data-field="login"]')).toBeVisible();
  await shot(page, 'desktop-53-admin-operators');

  // Signed in twice: an API token and the messenger in a browser of their own.
  const token = await Api.login(base, who.login, who.password);
  expect(await refused(token)).toBeNull();
  const theirs = await browser.newContext({ locale: 'ru-RU', timezoneId: 'Europe/Moscow' });
  try {
    const theirPage = await theirs.newPage();
    await login(theirPage, base, { login: who.login, password: who.password });

    await row.getByTestId('operator-deactivate').click();
    await row.getByTestId('operator-deactivate-yes').click();
    await expect(row.getByTestId('operator-state')).toHaveText('Выключен');
    await expect(row.getByTestId('operator-notice')).toHaveText('Выключен, сеансы завершены.');

    expect(await refused(token), 'the open API session is refused on its next request').toBe(401);
    // The open messenger learns on its next request (it checks /me every 10 s): the session is over.
    await expect(theirPage.getByTestId('session-expired')).toBeVisible({ timeout: 15_000 });
    // And cannot sign in again.
    await expect(Api.login(base, who.login, who.password)).rejects.toMatchObject({ status: 401 });
  } finally {
    await theirs.close();
  }

  // On again, then a new password: the session of the old one ends, the new one signs in.
  await row.getByTestId('operator-activate').click();
  await expect(row.getByTestId('operator-state')).toHaveText('Может входить');
  const again = await Api.login(base, who.login, who.password);
  await row.getByTestId('operator-reset').click();
  await row.getByTestId('password-reset-input').fill('1234');
  await row.getByTestId('password-reset-submit').click();
  await expect(row.locator('[data-testid="field-error"]')).toHaveText('Не короче 8 символов');
  await row.getByTestId('password-reset-input').fill('masha-new-pass-2026');
  await row.getByTestId('password-reset-submit').click();
  await expect(row.getByTestId('operator-notice')).toHaveText('Пароль изменён, сеансы оператора завершены.');
  expect(await refused(again)).toBe(401);
  await expect(Api.login(base, who.login, who.password)).rejects.toMatchObject({ status: 401 });
  expect(await refused(await Api.login(base, who.login, 'masha-new-pass-2026'))).toBeNull();

  // Leave them off: the other specs count no one else in the lists they check.
  await row.getByTestId('operator-deactivate').click();
  await row.getByTestId('operator-deactivate-yes').click();
  await expect(row.getByTestId('operator-state')).toHaveText('Выключен');
});

// Signing in and out, and what happens when the server ends the session behind the app's back.
import { Api } from './support/api';
import { login, shot } from './support/browser';
import { expect, test } from './support/fixtures';

test('a wrong password is refused, the right one opens the inbox, logout returns to the form', async ({ page, state }) => {
  await page.goto(`${state.server.url}/`);
  await expect(page.getByTestId('login-form')).toBeVisible();
  await shot(page, 'desktop-01-login');

  await page.getByTestId('login-input').fill(state.admin.login);
  await page.getByTestId('password-input').fill('not-the-password');
  await page.getByTestId('login-submit').click();
  await expect(page.getByTestId('login-error')).toBeVisible();
  await expect(page.getByTestId('login-error')).not.toBeEmpty();
  await expect(page.getByTestId('tab-bot')).toHaveCount(0);

  await page.getByTestId('password-input').fill(state.admin.password);
  await page.getByTestId('login-submit').click();
  await expect(page.getByTestId('tab-bot')).toBeVisible();
  await expect(page.getByTestId('tab-mine')).toBeVisible();
  await expect(page.getByTestId('tab-all')).toBeVisible();
  await expect(page.getByTestId('connection-status')).toHaveAttribute('data-state', 'connected');
  await expect(page.getByTestId('login-form')).toHaveCount(0);

  // The session survives a reload (cookie), then logout ends it.
  await page.reload();
  await expect(page.getByTestId('connection-status')).toHaveAttribute('data-state', 'connected');
  await page.getByTestId('logout-button').click();
  await expect(page.getByTestId('login-form')).toBeVisible();
  await page.reload();
  await expect(page.getByTestId('login-form')).toBeVisible();
  await expect(page.getByTestId('tab-bot')).toHaveCount(0);
});

test('a session revoked on the server shows «session expired» and leads back to the login', async ({ page, state }) => {
  await login(page, state.server.url, state.operator);
  const cookie = (await page.context().cookies()).find((c) => c.name === 'frontline_session');
  expect(cookie, 'the app is signed in with the frontline_session cookie').toBeTruthy();

  // The same session, ended from the API side.
  await new Api(state.server.url, cookie!.value).logout();

  await expect(page.getByTestId('session-expired')).toBeVisible({ timeout: 20_000 });
  await page.getByTestId('relogin-button').click();
  await expect(page.getByTestId('login-form')).toBeVisible();
  await page.getByTestId('login-input').fill(state.operator.login);
  await page.getByTestId('password-input').fill(state.operator.password);
  await page.getByTestId('login-submit').click();
  await expect(page.getByTestId('connection-status')).toHaveAttribute('data-state', 'connected');
});

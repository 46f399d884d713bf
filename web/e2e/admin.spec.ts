// The administration area: admins reach it from the list's header, sections and all; an operator
// never sees it, and its URLs send them back to the inbox.
import { login, shot } from './support/browser';
import { expect, test } from './support/fixtures';

const SECTIONS = ['Сценарии', 'Бот', 'База знаний', 'Каналы', 'Операторы', 'Быстрые ответы', 'Аналитика'];

test('an operator sees no administration and is sent back from its URLs', async ({ page, state }) => {
  const base = state.server.url;
  await login(page, base, state.operator);
  await expect(page.getByTestId('sound-toggle')).toBeVisible();
  await expect(page.getByTestId('admin-link')).toHaveCount(0);
  await expect(page.getByTestId('tab-all')).toHaveCount(0);
  for (const path of ['/admin', '/admin/workflows', '/admin/operators']) {
    await page.goto(`${base}${path}`);
    await expect(page, path).toHaveURL(`${base}/inbox/mine`);
    await expect(page.getByTestId('tab-mine')).toHaveAttribute('aria-selected', 'true');
    await expect(page.getByTestId('admin-shell')).toHaveCount(0);
    await expect(page.getByTestId('admin-link')).toHaveCount(0);
  }
  // «Все» is an admin's tab: its URL lands an operator in «Мои».
  await page.goto(`${base}/inbox/all`);
  await expect(page).toHaveURL(`${base}/inbox/mine`);
});

test('an admin opens the administration area from the header; its sections are pages of their own', async ({ page, state }) => {
  const base = state.server.url;
  await login(page, base, state.admin);
  const link = page.getByTestId('admin-link');
  await expect(link).toBeVisible();
  await expect(link).toHaveAttribute('aria-label', 'Администрирование');
  await link.click();

  await expect(page).toHaveURL(`${base}/admin/workflows`);
  const shell = page.getByTestId('admin-shell');
  await expect(shell).toBeVisible();
  await expect(shell.getByTestId('admin-nav-item')).toHaveText(SECTIONS);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Сценарии');
  await shot(page, 'desktop-09-admin-workflows');

  await shell.getByTestId('admin-nav-item').filter({ hasText: 'Операторы' }).click();
  await expect(page).toHaveURL(`${base}/admin/operators`);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Операторы');
  await page.reload();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Операторы');
  await expect(page.getByTestId('admin-section')).toHaveAttribute('data-section', 'operators');

  await page.getByTestId('inbox-link').click();
  await expect(page).toHaveURL(`${base}/inbox/mine`);
  await expect(page.getByTestId('tab-all')).toBeVisible();
  await expect(page.getByTestId('connection-status')).toHaveAttribute('data-state', 'connected');
});

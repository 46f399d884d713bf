// Desktop screenshots of the main screens not already taken by the scenario specs (login, «Бот»,
// «Мои» with a briefing, search, accounts and quick replies are saved by their specs): the «Все»
// tab and an English interface. Saved to target/web-e2e/screenshots/ as CI artifacts.
import { login, openChat, openTab, shot } from './support/browser';
import { botChat, expect, orderChat, test } from './support/fixtures';

test('desktop: «Все» with an open handed-over chat and its briefing', async ({ page, state, api, sim }) => {
  await botChat(api, sim, { first: 'Вера' });
  const chat = await orderChat(api, sim, '551903', 'Роман');
  await login(page, state.server.url, state.admin);
  await openTab(page, 'all');
  await expect(page.getByTestId('chat-row').first()).toBeVisible();
  await shot(page, 'desktop-07-all-list');
  await openChat(page, chat.conversation.id);
  await expect(page.getByTestId('handoff-briefing')).toBeVisible();
  await expect(page.getByTestId('customer-card')).toContainText(chat.customer.name);
  await expect(page.getByTestId('listing-card')).toBeVisible();
  await shot(page, 'desktop-08-all-open-chat-order-briefing');
});

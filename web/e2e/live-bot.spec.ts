// The «Бот» tab live: a new customer's row appears without a reload, and the bot's answers arrive in
// the open chat.
import { uniqueCustomer } from './support/api';
import { expectSameDocument, login, markDocument, messages, openTab, row, shot } from './support/browser';
import { expect, test } from './support/fixtures';

test('a customer writing appears live in «Бот» and the bot answers live in the open chat', async ({ page, state, api, sim }) => {
  await login(page, state.server.url, state.admin);
  await openTab(page, 'bot');
  await markDocument(page);

  const customer = uniqueCustomer('Наталья');
  const first = 'Сколько идёт доставка в Казань?';
  const posted = await sim.customerWrites(1001, customer.id, customer.name, 700_001, first);
  const conv = await api.waitConversation(posted.chat_id);

  const r = row(page, conv.id);
  await expect(r).toBeVisible();
  await expect(r).toHaveAttribute('data-lead', 'bot');
  await expect(r).toHaveAttribute('data-account-id', String(state.accounts[0].id));
  await expect(r.getByTestId('chat-row-name')).toHaveText(customer.name);
  await expect(r.getByTestId('chat-row-account')).toContainText('Авито: Мебель');
  await expect(r.getByTestId('chat-row-status')).toHaveText('Бот');
  await expect(r.getByTestId('chat-row-time')).not.toBeEmpty();
  // The preview is the newest message: the customer's question or, a moment later, the bot's answer.
  const afterBot = await api.waitMessages(conv.id, (ms) => ms.some((m) => m.author.kind === 'bot'));
  const latest = afterBot[afterBot.length - 1].text;
  await expect(r.getByTestId('chat-row-preview')).toContainText(latest.slice(0, 20));

  // The listing's picture is the simulator's image of item 700001, really loaded.
  const thumb = r.getByTestId('chat-row-listing-thumb');
  await expect(thumb).toBeVisible();
  const img = thumb.locator('xpath=self::img | .//img').first();
  await expect(img).toHaveAttribute('src', /700001/);
  await expect.poll(() => img.evaluate((i: HTMLImageElement) => i.complete && i.naturalWidth > 0)).toBe(true);
  await shot(page, 'desktop-02-bot-list');

  await r.click();
  const win = page.getByTestId('chat-window');
  await expect(win).toHaveAttribute('data-conversation-id', String(conv.id));
  await expect(page.getByTestId('lead-label')).toHaveText('Ведёт диалог: Бот');
  await expect(messages(page).filter({ hasText: first })).toHaveCount(1);
  const botMessages = messages(page).and(page.locator('[data-author="bot"]'));
  const before = await botMessages.count();
  expect(before, 'the bot has answered the first question').toBeGreaterThan(0);

  // A second question while the chat is open: the answer arrives without a reload.
  const second = 'А в Новосибирск сколько идёт доставка?';
  await sim.customerWrites(1001, customer.id, customer.name, 700_001, second);
  await expect(messages(page).filter({ hasText: second })).toHaveCount(1);
  await expect(messages(page).filter({ hasText: second })).toHaveAttribute('data-direction', 'in');
  await expect(messages(page).filter({ hasText: second })).toHaveAttribute('data-author', 'customer');
  await expect(botMessages).toHaveCount(before + 1, { timeout: 15_000 });
  await expect(botMessages.last()).toHaveAttribute('data-direction', 'out');
  const fromApi = await api.waitMessages(conv.id, (ms) => ms.filter((m) => m.author.kind === 'bot').length === before + 1);
  const botText = fromApi.filter((m) => m.author.kind === 'bot').pop()!.text;
  await expect(botMessages.last().getByTestId('message-text')).toContainText(botText.slice(0, 30));
  await expect(page.getByTestId('listing-card')).toContainText('Велосипед горный Stels');
  await expectSameDocument(page);
});

// The phone layout (390×844, touch): the list alone, a chat full-screen with «back», a usable composer.
import { login, messages, openTab, row, shot } from './support/browser';
import { botChat, expect, handedOverChat, test } from './support/fixtures';

test('phone: list alone, a tapped chat full-screen, back to the list, composer works', async ({ page, state, api, sim }) => {
  const chat = await handedOverChat(api, sim, { first: 'Ульяна' });
  await page.goto(`${state.server.url}/`);
  await expect(page.getByTestId('login-form')).toBeVisible();
  await shot(page, 'phone-01-login');
  await login(page, state.server.url, state.admin);
  await openTab(page, 'mine');
  const list = page.getByTestId('chat-list');
  await expect(list).toBeVisible();
  await expect(page.getByTestId('chat-window')).toHaveCount(0);
  await shot(page, 'phone-02-mine-list');

  await row(page, chat.conversation.id).tap();
  const win = page.getByTestId('chat-window');
  await expect(win).toHaveAttribute('data-conversation-id', String(chat.conversation.id));
  await expect(list).toBeHidden();
  // Full-screen: the chat window spans the viewport's width.
  const box = await win.boundingBox();
  expect(box && Math.round(box.width)).toBe(390);
  await expect(page.getByTestId('chat-back')).toBeVisible();
  await expect(page.getByTestId('handoff-briefing')).toBeVisible();
  await shot(page, 'phone-03-chat-with-briefing');

  // The listing and customer cards: a one-line strip that opens them stacked, none wider than the screen.
  const strip = page.getByTestId('cards-strip-toggle');
  await expect(strip).toHaveAttribute('aria-expanded', 'false');
  await strip.tap();
  await expect(strip).toHaveAttribute('aria-expanded', 'true');
  const card = page.getByTestId('customer-card');
  await expect(card).toBeVisible();
  await expect(card).toContainText(chat.customer.name);
  await expect(page.getByTestId('listing-card')).toBeVisible();
  for (const el of [card, page.getByTestId('listing-card')]) {
    const b = await el.boundingBox();
    expect(b && b.x >= 0 && b.x + b.width <= 390, 'the card fits the screen').toBe(true);
  }
  expect(await page.evaluate(() => document.documentElement.scrollWidth), 'no horizontal overflow').toBeLessThanOrEqual(390);
  await shot(page, 'phone-03b-chat-cards-open');
  await strip.tap();
  await expect(card).toHaveCount(0);

  const text = 'Отвечаю с телефона: товар есть в наличии';
  const input = page.getByTestId('composer-input');
  await input.tap();
  await input.fill(text);
  await page.getByTestId('composer-send').tap();
  await expect(messages(page).filter({ hasText: text })).toHaveCount(1);
  await expect(input).toHaveValue('');
  await expect
    .poll(async () => (await sim.sentByApp(1001)).filter((m) => m.chat_id === chat.chatId && m.text === text).length)
    .toBe(1);

  await page.getByTestId('quick-replies-button').tap();
  await expect(page.getByTestId('quick-replies-panel')).toBeVisible();
  await shot(page, 'phone-04-quick-replies-panel');
  await page.keyboard.press('Escape');

  await page.getByTestId('chat-back').tap();
  await expect(list).toBeVisible();
  await expect(page.getByTestId('chat-window')).toHaveCount(0);
  await expect(row(page, chat.conversation.id)).toBeVisible();
});

test('phone: screenshots of the «Бот» list, search and accounts', async ({ page, state, api, sim }) => {
  await botChat(api, sim, { first: 'Борис' });
  await login(page, state.server.url, state.admin);
  await openTab(page, 'bot');
  await expect(page.getByTestId('chat-row').first()).toBeVisible();
  await shot(page, 'phone-05-bot-list');

  await page.getByTestId('search-input').fill('доставка');
  await expect(page.getByTestId('search-count')).toBeVisible();
  await expect(page.getByTestId('search-hit').first()).toBeVisible();
  await shot(page, 'phone-06-search-results');
  await page.getByTestId('search-input').fill('');

  await page.getByTestId('accounts-button').tap();
  await expect(page.getByTestId('accounts-panel')).toBeVisible();
  // Other specs may have added accounts to the shared server: the harness's two must be there.
  for (const a of state.accounts) {
    await expect(page.getByTestId('accounts-panel')).toContainText(a.name);
  }
  await shot(page, 'phone-07-accounts-panel');
});

test('phone: the chat is a page of its own: back returns to the list, a reload keeps the chat', async ({ page, state, api, sim }) => {
  const chat = await handedOverChat(api, sim, { first: 'Тамара' });
  const base = state.server.url;
  await login(page, base, state.admin);
  await openTab(page, 'mine');
  const list = page.getByTestId('chat-list');
  const win = page.getByTestId('chat-window');

  await row(page, chat.conversation.id).tap();
  await expect(win).toHaveAttribute('data-conversation-id', String(chat.conversation.id));
  await expect(page).toHaveURL(`${base}/inbox/mine/${chat.conversation.id}`);
  // The browser's back button is the list.
  await page.goBack();
  await expect(page).toHaveURL(`${base}/inbox/mine`);
  await expect(list).toBeVisible();
  await expect(win).toHaveCount(0);
  await page.goForward();
  await expect(win).toHaveAttribute('data-conversation-id', String(chat.conversation.id));
  await expect(list).toBeHidden();

  // A reload stays in the chat, full-screen; the app's back button then returns to the list.
  await page.reload();
  await expect(win).toHaveAttribute('data-conversation-id', String(chat.conversation.id));
  await expect(list).toHaveCount(0);
  await page.getByTestId('chat-back').tap();
  await expect(page).toHaveURL(`${base}/inbox/mine`);
  await expect(list).toBeVisible();
  await expect(row(page, chat.conversation.id)).toBeVisible();
});

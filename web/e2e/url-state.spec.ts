// The messenger's state is in the URL: the open conversation, the tab and the search survive a
// reload, the browser's back and forward move between them, and the address opens them elsewhere.
import { login, openChat, openTab } from './support/browser';
import { expect, handedOverChat, test } from './support/fixtures';

test('the open chat, the tab and the search survive a reload, back/forward, and open from a link', async ({ page, browser, state, api, sim }) => {
  const word = 'термокружка';
  const chat = await handedOverChat(api, sim, { first: 'Арина', text: `Позовите оператора, пожалуйста: где моя ${word}?` });
  const id = chat.conversation.id;
  const base = state.server.url;

  await login(page, base, state.admin);
  await expect(page).toHaveURL(`${base}/inbox/mine`);
  await openTab(page, 'bot');
  await expect(page).toHaveURL(`${base}/inbox/bot`);
  await openTab(page, 'mine');
  await openChat(page, id);
  await expect(page).toHaveURL(`${base}/inbox/mine/${id}`);

  const input = page.getByTestId('search-input');
  await input.fill(word);
  const hits = page.getByTestId('search-hit');
  await expect(hits).toHaveCount(1);
  await expect(hits).toHaveAttribute('data-conversation-id', String(id));
  await page.getByTestId('search-filter-operator').click();
  await expect(page.getByTestId('search-filter-operator')).toHaveAttribute('aria-pressed', 'true');
  const url = new URL(page.url());
  expect(url.pathname).toBe(`/inbox/mine/${id}`);
  expect(Object.fromEntries(url.searchParams)).toEqual({ q: word, by: 'operator' });

  // A reload restores all of it.
  await page.reload();
  await expect(page.getByTestId('connection-status')).toHaveAttribute('data-state', 'connected');
  await expect(page.getByTestId('chat-window')).toHaveAttribute('data-conversation-id', String(id));
  await expect(page.getByTestId('message-list').getByTestId('message').filter({ hasText: word })).toHaveCount(1);
  await expect(input).toHaveValue(word);
  await expect(page.getByTestId('search-filter-operator')).toHaveAttribute('aria-pressed', 'true');
  await expect(page.getByTestId('search-count')).toHaveText('Найдено 1 чат');
  await expect(hits).toHaveCount(1);
  await expect(hits).toHaveAttribute('data-conversation-id', String(id));

  // Back: «Мои» before the chat was opened and the search typed; again: «Бот».
  await page.goBack();
  await expect(page).toHaveURL(`${base}/inbox/mine`);
  await expect(page.getByTestId('chat-window')).toHaveCount(0);
  await expect(input).toHaveValue('');
  await expect(page.getByTestId('tab-mine')).toHaveAttribute('aria-selected', 'true');
  await page.goBack();
  await expect(page).toHaveURL(`${base}/inbox/bot`);
  await expect(page.getByTestId('tab-bot')).toHaveAttribute('aria-selected', 'true');
  // Forward to the chat with its search.
  await page.goForward();
  await page.goForward();
  await expect(page.getByTestId('chat-window')).toHaveAttribute('data-conversation-id', String(id));
  await expect(input).toHaveValue(word);
  await expect(hits).toHaveCount(1);

  // The address, opened signed out in another browser: the login form, then exactly this screen.
  const other = await browser.newContext();
  try {
    const second = await other.newPage();
    await second.goto(page.url());
    await expect(second.getByTestId('login-form')).toBeVisible();
    await second.getByTestId('login-input').fill(state.admin.login);
    await second.getByTestId('password-input').fill(state.admin.password);
    await second.getByTestId('login-submit').click();
    await expect(second.getByTestId('chat-window')).toHaveAttribute('data-conversation-id', String(id));
    await expect(second.getByTestId('search-input')).toHaveValue(word);
    await expect(second.getByTestId('search-hit')).toHaveCount(1);
    await expect(second).toHaveURL(page.url());
  } finally {
    await other.close();
  }
});

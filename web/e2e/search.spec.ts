// Searching messages: the count, highlighted snippets, the lead filter, opening a hit at its message.
import { login, messages, shot } from './support/browser';
import { expect, handedOverChat, test } from './support/fixtures';

test('search finds a word in two chats, highlights it, filters by lead and opens the hit', async ({ page, state, api, sim }) => {
  // A word nobody else writes; in a fresh database only these two chats contain it.
  const word = 'самокат';
  const text = (name: string) => `${name}: а электро${word}? Интересует именно ${word} с сиденьем`;
  // Both ask for a person first, so the bot does not act on the search word; then one goes back to the bot.
  const botLed = await handedOverChat(api, sim, { first: 'Кирилл' });
  const opLed = await handedOverChat(api, sim, { first: 'Полина' });
  for (const c of [botLed, opLed]) {
    await sim.customerWrites(c.account, c.customer.id, c.customer.name, 700_002, text(c.customer.name.split(' ')[0]));
    await api.waitMessages(c.conversation.id, (ms) => ms.some((m) => m.text.includes(word)));
  }
  await api.post(`/conversations/${botLed.conversation.id}/lead`, { lead: 'bot' });
  const hits = await api.get<{ hits?: { conversation_id: number; message_id: number }[] }>(`/search?q=${encodeURIComponent(word)}`);
  expect(new Set((hits.hits ?? []).map((h) => h.conversation_id)), 'the server finds both').toEqual(
    new Set([botLed.conversation.id, opLed.conversation.id]),
  );

  await login(page, state.server.url, state.admin);
  const input = page.getByTestId('search-input');
  await expect(input).toHaveAttribute('placeholder', 'Поиск или новый чат');
  await input.fill(word);
  const results = page.getByTestId('search-results');
  await expect(results).toBeVisible();
  await expect(page.getByTestId('search-count')).toHaveText(/^Найдено 2 чата$/);
  const found = results.getByTestId('search-hit');
  await expect(found).toHaveCount(2);
  for (const hit of await found.all()) {
    const mark = hit.getByTestId('search-hit-snippet').locator('mark').first();
    await expect(mark).toBeVisible();
    await expect(mark).toHaveText(new RegExp(word, 'i'));
  }
  await shot(page, 'desktop-04-search-results');

  const botFilter = page.getByTestId('search-filter-bot');
  await botFilter.click();
  await expect(botFilter).toHaveAttribute('aria-pressed', 'true');
  await expect(found).toHaveCount(1);
  await expect(found).toHaveAttribute('data-conversation-id', String(botLed.conversation.id));
  await expect(page.getByTestId('search-count')).toHaveText(/^Найдено 1 чат$/);

  const opFilter = page.getByTestId('search-filter-operator');
  await opFilter.click();
  await expect(opFilter).toHaveAttribute('aria-pressed', 'true');
  await expect(botFilter).toHaveAttribute('aria-pressed', 'false');
  await expect(found).toHaveCount(1);
  await expect(found).toHaveAttribute('data-conversation-id', String(opLed.conversation.id));

  const messageId = await found.getAttribute('data-message-id');
  await found.click();
  await expect(page.getByTestId('chat-window')).toHaveAttribute('data-conversation-id', String(opLed.conversation.id));
  const target = messages(page).and(page.locator(`[data-message-id="${messageId}"]`));
  await expect(target).toBeVisible();
  await expect(target).toBeInViewport();
  await expect(target).toContainText(word);
});

// The operator answers: one message, its status reaching «sent», the text at Avito, the draft gone.
import { login, messages, openChat, openTab } from './support/browser';
import { expect, handedOverChat, test } from './support/fixtures';

test('Enter sends the reply once, it is delivered to Avito and the composer is cleared', async ({ page, state, api, sim }) => {
  const chat = await handedOverChat(api, sim, { first: 'Виктор' });
  await login(page, state.server.url, state.admin);
  await openTab(page, 'mine');
  await openChat(page, chat.conversation.id);

  const text = `Добрый день, ${chat.customer.name.split(' ')[0]}! Уточняю наличие, ответ через 5 минут.`;
  const input = page.getByTestId('composer-input');
  await input.fill(text);
  // Every status the reply shows on its way, and how many copies of it were ever on screen at once.
  await page.evaluate((t) => {
    const seen = { statuses: [] as string[], maxCopies: 0 };
    (window as unknown as { __reply: typeof seen }).__reply = seen;
    const check = () => {
      const copies = Array.from(document.querySelectorAll('[data-testid="message"]')).filter((m) => m.textContent?.includes(t));
      seen.maxCopies = Math.max(seen.maxCopies, copies.length);
      const status = copies[0]?.getAttribute('data-status');
      if (status && seen.statuses[seen.statuses.length - 1] !== status) seen.statuses.push(status);
    };
    new MutationObserver(check).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
  }, text);
  await input.press('Enter');

  const mine = messages(page).filter({ hasText: text });
  await expect(mine).toHaveCount(1);
  await expect(mine).toHaveAttribute('data-direction', 'out');
  await expect(mine).toHaveAttribute('data-author', 'operator');
  await expect(input).toHaveValue('');
  await expect(mine).toHaveAttribute('data-status', /^(sent|delivered|read)$/, { timeout: 15_000 });
  await expect(mine.getByTestId('message-status')).toBeVisible();

  // Avito received exactly this text, once, in this chat.
  await expect
    .poll(async () => (await sim.sentByApp(1001)).filter((m) => m.chat_id === chat.chatId && m.text === text).length)
    .toBe(1);
  // Avito echoes the send back through the webhook; once frontline has taken it, the reply is
  // still on screen exactly once (the echo is recognised as our own send, not a new message).
  const sent = (await sim.sentByApp(1001)).find((m) => m.chat_id === chat.chatId && m.text === text)!;
  await expect
    .poll(async () => (await sim.webhookLog()).some((a) => a.message_id === sent.id && a.status === 200))
    .toBe(true);
  await expect(mine).toHaveCount(1);
  const seen = await page.evaluate(() => (window as unknown as { __reply: { statuses: string[]; maxCopies: number } }).__reply);
  expect(seen.maxCopies, 'never two copies of the reply on screen').toBe(1);
  expect(seen.statuses[0], `statuses seen: ${seen.statuses.join(' → ')}`).toMatch(/^(sending|queued|pending)$/);
  expect(seen.statuses.at(-1)).toMatch(/^(sent|delivered|read)$/);
  expect(seen.statuses).not.toContain('failed');
  const ids = await messages(page).evaluateAll((els) => els.map((e) => e.getAttribute('data-message-id')));
  expect(new Set(ids).size).toBe(ids.length);
  const stored = (await api.messages(chat.conversation.id)).filter((m) => m.text === text);
  expect(stored).toHaveLength(1);
  await expect(mine).toHaveAttribute('data-message-id', String(stored[0].id));
});

// The server restarts under an open app: it reconnects, every message the customer wrote meanwhile
// appears exactly once, and the draft typed while offline is kept and can be sent.
import { expectSameDocument, login, markDocument, messages, openChat, openTab } from './support/browser';
import { expect, handedOverChat, test } from './support/fixtures';
import { startServerAgain, stopServer } from './support/server';

test('after a server restart nothing is missing, nothing doubled, the offline draft is sent', async ({ page, state, api, sim }) => {
  test.setTimeout(120_000);
  const chat = await handedOverChat(api, sim, { first: 'Елена' });
  const id = chat.conversation.id;
  const write = (text: string) => sim.customerWrites(chat.account, chat.customer.id, chat.customer.name, 700_002, text);

  await login(page, state.server.url, state.admin);
  await openTab(page, 'mine');
  await openChat(page, id);
  await markDocument(page);
  await write('Сообщение до перезапуска');
  await expect(messages(page).filter({ hasText: 'Сообщение до перезапуска' })).toHaveCount(1);

  await stopServer();
  const status = page.getByTestId('connection-status');
  await expect(status).not.toHaveAttribute('data-state', 'connected', { timeout: 20_000 });
  await expect(status).toHaveAttribute('data-state', /^(reconnecting|offline)$/);

  const draft = 'Черновик, набранный без связи';
  await page.getByTestId('composer-input').fill(draft);
  // Avito's webhook deliveries fail while the server is down (the sim retries, then gives up);
  // the poller brings these in after the restart.
  const whileDown = ['Пока сервер лежал — раз', 'Пока сервер лежал — два', 'Пока сервер лежал — три'];
  for (const t of whileDown) await write(t);
  await expect
    .poll(async () => (await sim.webhookLog()).filter((a) => a.message_id && a.status !== 200).length, {
      message: 'the webhook deliveries failed while the server was down',
    })
    .toBeGreaterThan(0);

  await startServerAgain();
  await expect(status).toHaveAttribute('data-state', 'connected', { timeout: 30_000 });
  const afterUp = 'Сразу после перезапуска';
  await write(afterUp);

  for (const t of [...whileDown, afterUp]) {
    await expect(messages(page).filter({ hasText: t }), t).toHaveCount(1, { timeout: 20_000 });
  }
  // Every stored message is on screen once: compare the ids with the server's. (The message list is
  // virtualised, but this chat is far shorter than the rows it draws around the view: all are in the DOM.)
  const stored = await api.waitMessages(id, (ms) => [...whileDown, afterUp].every((t) => ms.some((m) => m.text === t)));
  // (System notes may be drawn as system events rather than messages: compare the others.)
  const shown = () =>
    messages(page).evaluateAll((els) =>
      els.filter((e) => e.getAttribute('data-author') !== 'system').map((e) => e.getAttribute('data-message-id')),
    );
  await expect
    .poll(async () => (await shown()).sort())
    .toEqual(stored.filter((m) => m.author.kind !== 'system').map((m) => String(m.id)).sort());
  const ids = await shown();
  expect(new Set(ids).size).toBe(ids.length);

  // The app reconnected by itself: no reload.
  await expectSameDocument(page);
  // The draft is still there, and goes out.
  const input = page.getByTestId('composer-input');
  await expect(input).toHaveValue(draft);
  await input.press('Enter');
  await expect(input).toHaveValue('');
  await expect(messages(page).filter({ hasText: draft })).toHaveCount(1);
  await expect(messages(page).filter({ hasText: draft })).toHaveAttribute('data-status', /^(sent|delivered|read)$/, { timeout: 15_000 });
  await expect
    .poll(async () => (await sim.sentByApp(chat.account)).filter((m) => m.chat_id === chat.chatId && m.text === draft).length)
    .toBe(1);
});

// Giving a conversation back to the bot: the label, the lists and the history change, and another
// operator's open app sees it live.
import { expectSameDocument, login, markDocument, messages, openChat, openTab, row } from './support/browser';
import { expect, handedOverChat, test } from './support/fixtures';
import { observeAlerts } from './support/browser';

test('«Передать боту» changes the lead, moves the row, adds a system event, live for another operator', async ({ page, browser, state, api, sim }) => {
  const chat = await handedOverChat(api, sim, { first: 'Георгий' });
  const id = chat.conversation.id;

  const otherContext = await browser.newContext();
  const other = await otherContext.newPage();
  await observeAlerts(other);
  try {
    await login(other, state.server.url, state.operator);
    await openTab(other, 'mine');
    await expect(row(other, id)).toBeVisible();
    await markDocument(other);

    await login(page, state.server.url, state.admin);
    await openTab(page, 'mine');
    await openChat(page, id);
    await expect(page.getByTestId('lead-label')).toHaveText('Ведёт диалог: Оператор');
    const events = page.getByTestId('system-event');
    const eventsBefore = await events.count();

    await page.getByTestId('lead-toggle').click();
    await expect(page.getByTestId('lead-label')).toHaveText('Ведёт диалог: Бот');
    await expect(page.getByTestId('lead-toggle')).toHaveText('Передать оператору');
    await expect(events).toHaveCount(eventsBefore + 1);
    await expect(row(page, id)).toHaveCount(0);
    await openTab(page, 'bot');
    await expect(row(page, id)).toBeVisible();
    await expect(row(page, id)).toHaveAttribute('data-lead', 'bot');
    await expect(row(page, id).getByTestId('chat-row-status')).toHaveText('Бот');
    expect((await api.waitConversation(chat.chatId, (c) => c.lead === 'bot')).lead).toBe('bot');

    // The other operator never reloaded.
    await expect(row(other, id)).toHaveCount(0);
    await openTab(other, 'bot');
    await expect(row(other, id)).toBeVisible();
    await openChat(other, id);
    await expect(other.getByTestId('lead-label')).toHaveText('Ведёт диалог: Бот');
    await expectSameDocument(other);

    // And back: the other operator takes it; the admin's open list follows.
    await other.getByTestId('lead-toggle').click();
    await expect(other.getByTestId('lead-label')).toHaveText('Ведёт диалог: Оператор');
    await expect(row(page, id)).toHaveCount(0);
    await expect(messages(other).filter({ hasText: 'позовите оператора' })).toHaveCount(1);
  } finally {
    await otherContext.close();
  }
});

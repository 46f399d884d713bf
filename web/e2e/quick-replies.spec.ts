// Quick replies: search the panel, insert, the placeholders filled from the conversation.
import { login, openChat, openTab, shot } from './support/browser';
import { expect, orderChat, test } from './support/fixtures';

test('a quick reply is inserted with {customer_name} and {order_number} filled in', async ({ page, state, api, sim }) => {
  const order = '784512';
  const chat = await orderChat(api, sim, order, 'Тимофей');
  const conv = await api.waitConversation(chat.chatId, (c) => c.lead === 'operator');
  expect(conv.slots.order_number, 'the bot kept the order number it asked for').toBe(order);

  await login(page, state.server.url, state.admin);
  await openTab(page, 'mine');
  await openChat(page, chat.conversation.id);

  await page.getByTestId('quick-replies-button').click();
  const panel = page.getByTestId('quick-replies-panel');
  await expect(panel).toBeVisible();
  await expect(panel.getByTestId('quick-reply-item')).toHaveCount(state.quickReplies.length);
  await shot(page, 'desktop-06-quick-replies-panel');

  await panel.getByTestId('quick-replies-search').fill('заказ');
  const items = panel.getByTestId('quick-reply-item');
  await expect(items).toHaveCount(1);
  await expect(items).toContainText('Статус заказа');
  await items.click();

  const expected = `${chat.customer.name}, ваш заказ ${order} уже передан в доставку.`;
  const input = page.getByTestId('composer-input');
  await expect(input).toHaveValue(expected);
  await expect(panel).toBeHidden();

  // The greeting has only {customer_name}; it goes into the composer, and out to Avito as shown.
  await input.fill('');
  await page.getByTestId('quick-replies-button').click();
  await page.getByTestId('quick-replies-search').fill('Привет');
  await page.getByTestId('quick-reply-item').click();
  const greeting = `Здравствуйте, ${chat.customer.name}! Меня зовут Ольга, я помогу разобраться.`;
  await expect(input).toHaveValue(greeting);
  await page.getByTestId('composer-send').click();
  await expect(input).toHaveValue('');
  await expect
    .poll(async () => (await sim.sentByApp(1001)).filter((m) => m.chat_id === chat.chatId).map((m) => m.text))
    .toContain(greeting);
});

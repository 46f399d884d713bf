// Avito's quoted replies and link previews in the messenger: a customer replies to their own
// earlier message and sends a link with Avito's preview card; the operator sees the quote above
// the reply's text (a click goes to the quoted message) and the card under the link's text.
import { login, messages, openChat, openTab, shot } from './support/browser';
import { expect, test } from './support/fixtures';
import { uniqueCustomer } from './support/api';

test('a quoted reply shows its quote above the text and a link shows its preview card', async ({ page, state, api, sim }) => {
  const account = 1001;
  const item = 700_002;
  const customer = uniqueCustomer('Ольга');
  const first = 'Здравствуйте, позовите оператора: диван ещё продаётся?';
  const asked = await sim.customerWrites(account, customer.id, customer.name, item, first);
  const conv = await api.waitConversation(asked.chat_id, (c) => c.lead === 'operator');

  const replyText = 'И доставка в Казань есть?';
  const reply = await sim.customerReply(account, asked.chat_id, asked.message_id, replyText);
  const url = 'https://www.avito.ru/help/delivery';
  const link = await sim.customerLink(account, customer.id, customer.name, item, {
    url,
    text: 'Вот тут написано',
    title: 'Авито Доставка',
    description: 'Как получить заказ: сроки, пункты выдачи и стоимость доставки по России',
  });
  const stored = await api.waitMessages(conv.id, (ms) => ms.some((m) => m.external_id === reply.message_id && m.quote) && ms.some((m) => m.external_id === link.message_id && m.link_preview));
  const firstStored = stored.find((m) => m.external_id === asked.message_id)!;
  expect(firstStored, 'the first message is stored with its Avito id').toBeTruthy();

  await login(page, state.server.url, state.admin);
  await openTab(page, 'mine');
  await openChat(page, conv.id);

  // The reply: the quote (author, excerpt of the quoted text) above the reply's own text.
  const replyBubble = messages(page).filter({ has: page.getByTestId('message-text').getByText(replyText, { exact: true }) });
  await expect(replyBubble).toHaveCount(1);
  const quote = replyBubble.getByTestId('message-quote');
  await expect(quote).toBeVisible();
  await expect(quote.getByTestId('quote-author')).toHaveText(customer.name);
  await expect(quote.getByTestId('quote-text')).toHaveText(first);
  await expect(quote).toHaveAttribute('data-quote-target', String(firstStored.id));
  const quoteBox = (await quote.boundingBox())!;
  const textBox = (await replyBubble.getByTestId('message-text').boundingBox())!;
  expect(quoteBox.y + quoteBox.height, 'the quote is above the text').toBeLessThanOrEqual(textBox.y + 1);
  // Messages without a quote show none.
  const firstBubble = messages(page).filter({ has: page.getByTestId('message-text').getByText(first, { exact: true }) });
  await expect(firstBubble.getByTestId('message-quote')).toHaveCount(0);

  // The link: the card under its text, the whole card a safe link to the page, its picture loaded.
  const linkBubble = messages(page).filter({ has: page.getByTestId('link-card') });
  await expect(linkBubble).toHaveCount(1);
  await expect(linkBubble.getByTestId('message-text')).toHaveText(`Вот тут написано ${url}`);
  const card = linkBubble.getByTestId('link-card');
  await expect(card).toHaveAttribute('href', url);
  await expect(card).toHaveAttribute('target', '_blank');
  await expect(card).toHaveAttribute('rel', 'noopener noreferrer');
  await expect(card.getByTestId('link-card-title')).toHaveText('Авито Доставка');
  await expect(card.getByTestId('link-card-description')).toHaveText(/^Как получить заказ: сроки/);
  await expect(card.getByTestId('link-card-domain')).toHaveText('www.avito.ru');
  const img = card.getByTestId('link-card-image');
  await expect(img).toHaveAttribute('loading', 'lazy');
  await expect(img).toHaveAttribute('src', new RegExp(`^${state.sim.url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/`));
  // Loaded, not refused by the page's CSP: the simulator's picture has a real size.
  await expect.poll(() => img.evaluate((i: HTMLImageElement) => i.complete && i.naturalWidth > 0)).toBe(true);
  const cardBox = (await card.boundingBox())!;
  const linkTextBox = (await linkBubble.getByTestId('message-text').boundingBox())!;
  expect(cardBox.y, 'the card is under the text').toBeGreaterThanOrEqual(linkTextBox.y + linkTextBox.height - 1);

  await shot(page, 'desktop-40-quote-and-link-card');

  // A click on the quote goes to the quoted message and highlights it for a moment.
  await expect(firstBubble).not.toHaveClass(/\bhighlight\b/);
  await quote.click();
  await expect(firstBubble).toHaveClass(/\bhighlight\b/);
  await expect(firstBubble).toBeInViewport();
  await expect(firstBubble).not.toHaveClass(/\bhighlight\b/, { timeout: 6_000 });
});

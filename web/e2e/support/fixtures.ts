// The `test` every spec uses: the harness state, an admin API client, the simulator, and a page that
// records alerts. Plus scenario helpers that put a conversation in a known state through the real
// channel (a customer writing in avito-sim), never by writing to the database.
import { test as base, expect } from '@playwright/test';
import { Api, type Conversation, type Message, Sim, uniqueCustomer } from './api';
import { observeAlerts } from './browser';
import { readState, type HarnessState } from './state';

type WorkerFixtures = { state: HarnessState; api: Api; sim: Sim };

export const test = base.extend<object, WorkerFixtures>({
  state: [async ({}, use) => use(readState()), { scope: 'worker' }],
  api: [async ({ state }, use) => use(await Api.admin(state)), { scope: 'worker' }],
  sim: [async ({ state }, use) => use(Sim.fromState(state)), { scope: 'worker' }],
  page: async ({ page }, use) => {
    await observeAlerts(page);
    await use(page);
  },
});

export { expect };

export interface Chat {
  conversation: Conversation;
  customer: { id: number; name: string };
  /** Avito's chat id in the simulator. */
  chatId: string;
  /** Avito user id of the account (1001, 1002). */
  account: number;
}

const isBot = (m: Message) => m.author.kind === 'bot';

/** A customer asks what the knowledge base answers: the conversation stays with the bot. */
export async function botChat(
  api: Api,
  sim: Sim,
  opts: { account?: number; item?: number; first?: string; text?: string } = {},
): Promise<Chat> {
  const account = opts.account ?? 1001;
  const customer = uniqueCustomer(opts.first ?? 'Мария');
  const posted = await sim.customerWrites(account, customer.id, customer.name, opts.item ?? (account === 1001 ? 700_001 : 800_001), opts.text ?? 'Сколько идёт доставка в Казань?');
  const conversation = await api.waitConversation(posted.chat_id);
  await api.waitMessages(conversation.id, (ms) => ms.some(isBot));
  const now = await api.waitConversation(posted.chat_id);
  expect(now.lead, 'the knowledge-base question stays with the bot').toBe('bot');
  return { conversation: now, customer, chatId: posted.chat_id, account };
}

/** A customer asks for a person: the bot hands over at once. */
export async function handedOverChat(
  api: Api,
  sim: Sim,
  opts: { account?: number; item?: number; first?: string; text?: string } = {},
): Promise<Chat> {
  const account = opts.account ?? 1001;
  const customer = uniqueCustomer(opts.first ?? 'Алексей');
  const posted = await sim.customerWrites(account, customer.id, customer.name, opts.item ?? (account === 1001 ? 700_002 : 800_001), opts.text ?? 'Здравствуйте, позовите оператора, пожалуйста');
  const conversation = await api.waitConversation(posted.chat_id, (c) => c.lead === 'operator');
  return { conversation, customer, chatId: posted.chat_id, account };
}

/** «Где мой заказ?», the bot asks for the number, the customer gives it, the bot hands over with it. */
export async function orderChat(api: Api, sim: Sim, orderNumber: string, first = 'Пётр'): Promise<Chat> {
  const account = 1001;
  const customer = uniqueCustomer(first);
  const posted = await sim.customerWrites(account, customer.id, customer.name, 700_001, 'Где мой заказ?');
  const conv = await api.waitConversation(posted.chat_id);
  await api.waitMessages(conv.id, (ms) => ms.some(isBot));
  await sim.customerWrites(account, customer.id, customer.name, 700_001, orderNumber);
  const conversation = await api.waitConversation(posted.chat_id, (c) => c.lead === 'operator');
  return { conversation, customer, chatId: posted.chat_id, account };
}

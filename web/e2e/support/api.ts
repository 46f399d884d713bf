// frontline's operator API and avito-sim's `/_sim/` control API, over real HTTP (Node's fetch).
import { readState, type HarnessState, type SimAccount } from './state';
import { sleep } from './procs';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
    what: string,
  ) {
    super(`${what}: HTTP ${status} ${body}`);
  }
}

async function call<T>(method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
  const r = await fetch(url, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await r.text();
  if (!r.ok) throw new ApiError(r.status, text, `${method} ${url}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

export interface Conversation {
  id: number;
  account: { id: number; name: string };
  customer: { id: number; external_id: string; name: string | null };
  external_chat_id: string;
  lead: 'bot' | 'operator';
  slots: Record<string, string>;
  last_message: { text: string } | null;
}

export interface Message {
  id: number;
  conversation_id: number;
  direction: 'in' | 'out';
  author: { kind: string };
  text: string;
  status: string;
  /** Avito's id of the message. */
  external_id?: string | null;
  quote?: { external_id: string; direction: 'in' | 'out'; text: string } | null;
  link_preview?: { url: string; domain?: string | null; title?: string | null; description?: string | null; image_url?: string | null } | null;
}

/** An authenticated client of the operator API. */
export class Api {
  constructor(
    readonly base: string,
    readonly token: string,
  ) {}

  static async login(base: string, login: string, password: string): Promise<Api> {
    const r = await call<{ token: string }>('POST', `${base}/api/v1/auth/login`, { login, password });
    return new Api(base, r.token);
  }

  /** Logs in as the bootstrap admin of the running server. */
  static async admin(state: HarnessState = readState()): Promise<Api> {
    return Api.login(state.server.url, state.admin.login, state.admin.password);
  }

  req<T>(method: string, path: string, body?: unknown): Promise<T> {
    return call<T>(method, `${this.base}/api/v1${path}`, body, { authorization: `Bearer ${this.token}` });
  }
  get<T>(path: string) {
    return this.req<T>('GET', path);
  }
  post<T>(path: string, body?: unknown) {
    return this.req<T>('POST', path, body ?? {});
  }
  put<T>(path: string, body: unknown) {
    return this.req<T>('PUT', path, body);
  }

  async conversations(query = ''): Promise<Conversation[]> {
    const page = await this.get<{ items: Conversation[] }>(`/conversations?limit=200${query ? `&${query}` : ''}`);
    return page.items;
  }

  async messages(conversationId: number): Promise<Message[]> {
    const r = await this.get<Message[] | { items: Message[] }>(`/conversations/${conversationId}/messages?limit=200`);
    return Array.isArray(r) ? r : r.items;
  }

  /** Waits until the conversation of this Avito chat exists (and `accept` holds), then returns it. */
  async waitConversation(
    externalChatId: string,
    accept: (c: Conversation) => boolean = () => true,
    timeoutMs = 15_000,
  ): Promise<Conversation> {
    const deadline = Date.now() + timeoutMs;
    let seen: Conversation | undefined;
    while (Date.now() < deadline) {
      seen = (await this.conversations()).find((c) => c.external_chat_id === externalChatId);
      if (seen && accept(seen)) return seen;
      await sleep(200);
    }
    throw new Error(`conversation of chat ${externalChatId} not as expected within ${timeoutMs} ms: ${JSON.stringify(seen)}`);
  }

  /** Waits until the conversation's messages satisfy `accept`. */
  async waitMessages(id: number, accept: (m: Message[]) => boolean, timeoutMs = 15_000): Promise<Message[]> {
    const deadline = Date.now() + timeoutMs;
    let seen: Message[] = [];
    while (Date.now() < deadline) {
      seen = await this.messages(id);
      if (accept(seen)) return seen;
      await sleep(200);
    }
    throw new Error(`messages of conversation ${id} not as expected: ${JSON.stringify(seen.map((m) => [m.author.kind, m.text]))}`);
  }

  async logout(): Promise<void> {
    await call('POST', `${this.base}/api/v1/auth/logout`, {}, { authorization: `Bearer ${this.token}` });
  }
}

/** The simulator's control API: customers writing, what frontline sent, webhook faults. */
export class Sim {
  constructor(readonly base: string) {}

  static fromState(state: HarnessState = readState()): Sim {
    return new Sim(state.sim.url);
  }

  /** A customer writes to the account (Avito user id) about a listing; returns Avito's chat and message ids. */
  customerWrites(account: number, customerId: number, name: string, itemId: number | null, text: string) {
    return call<{ chat_id: string; message_id: string }>('POST', `${this.base}/_sim/customer_writes`, {
      account,
      customer_id: customerId,
      customer_name: name,
      item_id: itemId,
      text,
    });
  }

  /** The chat's customer replies to one of its messages (Avito's `quote`). */
  customerReply(account: number, chatId: string, quoteId: string, text: string) {
    return call<{ chat_id: string; message_id: string }>('POST', `${this.base}/_sim/customer_reply`, {
      account,
      chat_id: chatId,
      quote_id: quoteId,
      text,
    });
  }

  /** A customer sends a link; with a `title`, Avito attaches its preview card (and a picture). */
  customerLink(
    account: number,
    customerId: number,
    name: string,
    itemId: number | null,
    link: { url: string; text?: string; title?: string; description?: string },
  ) {
    return call<{ chat_id: string; message_id: string }>('POST', `${this.base}/_sim/customer_link`, {
      account,
      customer_id: customerId,
      customer_name: name,
      item_id: itemId,
      ...link,
    });
  }

  /** Messages frontline created through Avito's send endpoints for the account. */
  sentByApp(account: number) {
    return call<{ id: string; chat_id: string; text: string | null; type: string }[]>(
      'GET',
      `${this.base}/_sim/accounts/${account}/sent`,
    );
  }

  /** A person answers from Avito's own app. */
  appReply(account: number, chatId: string, text: string) {
    return call<{ chat_id: string; message_id: string }>('POST', `${this.base}/_sim/app_reply`, { account, chat_id: chatId, text });
  }

  chatMessages(account: number, chatId: string) {
    return call<{ id: string; text: string | null; author_id: number }[]>(
      'GET',
      `${this.base}/_sim/accounts/${account}/chats/${encodeURIComponent(chatId)}/messages`,
    );
  }

  webhookLog() {
    return call<{ url: string; message_id: string | null; status: number | null; error: string | null }[]>(
      'GET',
      `${this.base}/_sim/webhook_log`,
    );
  }

  accounts() {
    return call<{ user_id: number; name: string; client_id: string; client_secret: string; listings: { id: number }[] }[]>(
      'GET',
      `${this.base}/_sim/accounts`,
    );
  }
}

/** Listings the simulator seeds (see crates/avito-sim/src/main.rs). */
export const LISTINGS: Record<number, number[]> = { 1001: [700_001, 700_002], 1002: [800_001] };

let counter = 0;
/** A customer no other test uses: a unique Avito user id and a distinct Russian name. */
export function uniqueCustomer(first: string): { id: number; name: string } {
  counter += 1;
  const id = 600_000 + (Date.now() % 100_000) * 10 + counter;
  const surnames = ['Орлов', 'Соколов', 'Лебедев', 'Котов', 'Морозов', 'Волков', 'Зайцев', 'Павлов', 'Новиков', 'Фёдоров'];
  const surname = surnames[(counter + id) % surnames.length];
  // Russian surnames agree with the first name: Ольга Орлова, Олег Орлов.
  const feminine = (/[ая]$/.test(first) && !['Никита', 'Илья', 'Кузьма'].includes(first)) || ['Любовь', 'Нинель'].includes(first);
  return { id, name: `${first} ${feminine ? `${surname}а` : surname}` };
}

export function account(state: HarnessState, userId: number): SimAccount {
  const a = state.accounts.find((x) => x.userId === userId);
  if (!a) throw new Error(`no account ${userId} in the state file`);
  return a;
}

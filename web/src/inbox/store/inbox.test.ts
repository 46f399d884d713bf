// The inbox store against a fake server behind `fetch` (the typed client's transport): what it
// asks for and what it keeps of the answers. The fake is installed before the client is created.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

type Handler = (url: URL, body: unknown) => unknown | Promise<unknown>;

const server = vi.hoisted(() => {
  const routes = new Map<string, Handler>();
  const calls: { method: string; url: URL; body: unknown }[] = [];
  const RealRequest = globalThis.Request;
  // The app calls its own origin with relative URLs; Node's Request needs an absolute one.
  class SameOriginRequest extends RealRequest {
    constructor(input: RequestInfo | URL, init?: RequestInit) {
      super(typeof input === 'string' && input.startsWith('/') ? `http://frontline.test${input}` : input, init);
    }
  }
  globalThis.Request = SameOriginRequest as typeof Request;
  globalThis.fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = input instanceof RealRequest ? input : new SameOriginRequest(input, init);
    const url = new URL(request.url);
    const text = await request.text();
    const body = text ? JSON.parse(text) : undefined;
    calls.push({ method: request.method, url, body });
    const handler = routes.get(`${request.method} ${url.pathname}`);
    if (!handler) return new Response(JSON.stringify({ error: { code: 'not_found', message: 'no route' } }), { status: 404 });
    return new Response(JSON.stringify(await handler(url, body)), { status: 200, headers: { 'content-type': 'application/json' } });
  };
  return { routes, calls };
});

import type { Conversation, SearchHit } from '../../shared/api/types';
import { useSession } from '../../shared/session/store';
import { conv, msg } from '../../shared/test/fixtures';
import { connectInbox, useInbox } from './index';
import { emptyPaging } from './list';
import { SEARCH_DEBOUNCE_MS } from './search';

const admin = { id: 7, login: 'admin', display_name: 'Админ', role: 'admin' as const, active: true, created_at: '' };
const accounts = [
  { id: 1, name: 'Авито: Мебель', kind: 'avito' },
  { id: 2, name: 'Авито: Электроника', kind: 'avito' },
] as never[];

const hit = (c: Conversation, messageId: number): SearchHit => ({ conversation_id: c.id, message_id: messageId, snippet: '<mark>x</mark>', created: '', conversation: c }) as SearchHit;
const searches = () => server.calls.filter((c) => c.url.pathname === '/api/v1/search');
const deferred = <T,>() => {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
};

beforeEach(() => {
  server.routes.clear();
  server.calls.length = 0;
  useSession.setState({ auth: 'ready', me: admin, accounts, prefs: { hidden_account_ids: [2], sound: false, language: null } });
  useInbox.getState().clearSearch();
  useInbox.setState({ conversations: new Map(), paging: emptyPaging(), tab: 'mine', activeId: null, chat: null, focusMessageId: null });
});

afterEach(() => {
  vi.useRealTimers();
});

describe('search through the store', () => {
  it('waits for typing to settle, then asks once, in the visible accounts, with the filter', async () => {
    vi.useFakeTimers();
    server.routes.set('GET /api/v1/search', () => ({ total_conversations: 1, hits: [hit(conv(3), 30)] }));
    const inbox = useInbox.getState();
    inbox.setSearch('са', null);
    inbox.setSearch('само', null);
    inbox.setSearch('самокат ', 'operator');
    await vi.advanceTimersByTimeAsync(SEARCH_DEBOUNCE_MS - 1);
    expect(searches()).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(searches()).toHaveLength(1);
    const q = searches()[0]!.url.searchParams;
    expect(Object.fromEntries(q)).toEqual({ q: 'самокат', lead: 'operator', account_ids: '1', limit: '20', offset: '0' });
    expect(useInbox.getState().search).toMatchObject({ query: 'самокат', total: 1, loading: false, error: null });
    expect(useInbox.getState().search.hits.map((h) => h.message_id)).toEqual([30]);

    // A trailing space is the same query: nothing new goes out.
    useInbox.getState().setSearch('самокат  ', 'operator');
    await vi.advanceTimersByTimeAsync(SEARCH_DEBOUNCE_MS * 2);
    expect(searches()).toHaveLength(1);
  });

  it('a filter change asks at once, and the answer to a replaced query is dropped', async () => {
    vi.useFakeTimers();
    const answers: ReturnType<typeof deferred<unknown>>[] = [];
    server.routes.set('GET /api/v1/search', () => {
      const d = deferred<unknown>();
      answers.push(d);
      return d.promise;
    });
    useInbox.getState().setSearch('заказ', null);
    await vi.advanceTimersByTimeAsync(SEARCH_DEBOUNCE_MS);
    useInbox.getState().setSearch('заказ', 'bot');
    await vi.advanceTimersByTimeAsync(0);
    expect(searches().map((c) => c.url.searchParams.get('lead'))).toEqual([null, 'bot']);
    answers[1]!.resolve({ total_conversations: 1, hits: [hit(conv(1), 11)] });
    await vi.advanceTimersByTimeAsync(0);
    answers[0]!.resolve({ total_conversations: 5, hits: [hit(conv(2), 21), hit(conv(3), 31)] });
    await vi.advanceTimersByTimeAsync(0);
    expect(useInbox.getState().search.total).toBe(1);
    expect(useInbox.getState().search.hits.map((h) => h.message_id)).toEqual([11]);
  });

  it('pages with «Показать ещё», and clearing the box forgets the hits at once', async () => {
    vi.useFakeTimers();
    server.routes.set('GET /api/v1/search', (url) =>
      url.searchParams.get('offset') === '0'
        ? { total_conversations: 3, hits: [hit(conv(1), 1), hit(conv(2), 2)] }
        : { total_conversations: 3, hits: [hit(conv(3), 3)] },
    );
    useInbox.getState().setSearch('доставка', null);
    await vi.advanceTimersByTimeAsync(SEARCH_DEBOUNCE_MS);
    useInbox.getState().searchMore();
    await vi.advanceTimersByTimeAsync(0);
    expect(searches().map((c) => c.url.searchParams.get('offset'))).toEqual(['0', '2']);
    expect(useInbox.getState().search.hits.map((h) => h.message_id)).toEqual([1, 2, 3]);
    useInbox.getState().searchMore();
    expect(searches()).toHaveLength(2);
    useInbox.getState().setSearch('', null);
    expect(useInbox.getState().search).toMatchObject({ query: '', hits: [], total: null });
  });

  it('a hit opens its conversation at the message found', async () => {
    const c = conv(4);
    server.routes.set('GET /api/v1/conversations/4', () => ({ conversation: c, briefing: null }));
    server.routes.set('GET /api/v1/conversations/4/messages', () => ({ items: [msg(40, { conversation_id: 4 })], has_more: false }));
    server.routes.set('GET /api/v1/conversations/4/handoffs', () => []);
    server.routes.set('POST /api/v1/conversations/4/read', () => ({}));
    useInbox.getState().openSearchHit(hit(c, 40));
    expect(useInbox.getState()).toMatchObject({ activeId: 4, focusMessageId: 40 });
    expect(useInbox.getState().conversations.get(4)).toBe(c);
    await vi.waitFor(() => expect(useInbox.getState().chat?.loaded).toBe(true));
    expect(useInbox.getState().chat?.messages.map((m) => m.id)).toEqual([40]);
  });
});

describe('the inbox follows the URL and the session', () => {
  it('mirrors the URL: the tab loads its list, the conversation opens, closing it clears the chat', async () => {
    server.routes.set('GET /api/v1/conversations', () => ({ items: [conv(1), conv(2)], next_cursor: null }));
    server.routes.set('GET /api/v1/conversations/2', () => ({ conversation: conv(2), briefing: null }));
    server.routes.set('GET /api/v1/conversations/2/messages', () => ({ items: [], has_more: false }));
    server.routes.set('GET /api/v1/conversations/2/handoffs', () => []);
    server.routes.set('POST /api/v1/conversations/2/read', () => ({}));
    useInbox.getState().followUrl({ tab: 'bot', conversationId: 2, q: '', by: null });
    expect(useInbox.getState()).toMatchObject({ tab: 'bot', activeId: 2 });
    await vi.waitFor(() => expect(useInbox.getState().paging.bot.loaded).toBe(true));
    const list = server.calls.find((c) => c.url.pathname === '/api/v1/conversations')!;
    expect(Object.fromEntries(list.url.searchParams)).toEqual({ lead: 'bot', account_ids: '1', limit: '200' });
    await vi.waitFor(() => expect(useInbox.getState().chat?.loaded).toBe(true));
    // The same URL again asks for nothing new.
    const before = server.calls.length;
    useInbox.getState().followUrl({ tab: 'bot', conversationId: 2, q: '', by: null });
    expect(server.calls.length).toBe(before);
    useInbox.getState().followUrl({ tab: 'bot', conversationId: null, q: '', by: null });
    expect(useInbox.getState()).toMatchObject({ activeId: null, chat: null });
  });

  it('a new session resets the lists and loads the quick replies; hiding an account reloads the tab', async () => {
    server.routes.set('GET /api/v1/quick-replies', () => [{ id: 1, title: 'Привет', text: 'Здравствуйте', shared: true, owner_id: null, created_at: '' }]);
    server.routes.set('GET /api/v1/conversations', () => ({ items: [], next_cursor: null }));
    server.routes.set('PUT /api/v1/me/preferences', (_url, body) => body);
    const disconnect = connectInbox();
    try {
      useSession.setState({ auth: 'login', me: null });
      useInbox.setState({ conversations: new Map([[1, conv(1)]]), tab: 'all' });
      useSession.setState({ auth: 'ready', me: { ...admin, role: 'operator' } });
      // «Все» is not an operator's tab.
      expect(useInbox.getState()).toMatchObject({ tab: 'mine', conversations: new Map() });
      await vi.waitFor(() => expect(useInbox.getState().quickReplies).toHaveLength(1));

      await useSession.getState().savePrefs({ hidden_account_ids: [1] });
      await vi.waitFor(() => expect(useInbox.getState().paging.mine.loaded).toBe(true));
      await new Promise((r) => setTimeout(r, 20));
      // One reload, for the change; the saved copy (a new array with the same ids) is no change.
      const lists = server.calls.filter((c) => c.url.pathname === '/api/v1/conversations');
      expect(lists.map((c) => c.url.searchParams.get('account_ids'))).toEqual(['2']);

      useSession.setState({ auth: 'login', me: null });
      expect(useInbox.getState()).toMatchObject({ activeId: null, chat: null, conversations: new Map() });
    } finally {
      disconnect();
    }
  });
});

describe('uploads through the store', () => {
  it('a file attached to the open chat reports progress, becomes an attachment, and goes with the message', async () => {
    const xhrs: FakeXhr[] = [];
    class FakeXhr {
      status = 0;
      responseText = '';
      withCredentials = false;
      upload: { onprogress: ((e: { lengthComputable: boolean; loaded: number; total: number }) => void) | null } = { onprogress: null };
      onload: (() => void) | null = null;
      onerror: (() => void) | null = null;
      url = '';
      constructor() {
        xhrs.push(this);
      }
      open(_method: string, url: string) {
        this.url = url;
      }
      setRequestHeader() {}
      send() {}
    }
    vi.stubGlobal('XMLHttpRequest', FakeXhr);
    try {
      server.routes.set('POST /api/v1/conversations/5/messages', (_url, body) => ({
        message: msg(50, { conversation_id: 5, text: (body as { text: string }).text, attachments: (body as { attachments: never[] }).attachments }),
      }));
      useInbox.setState({ activeId: 5, chat: { id: 5, messages: [], hasMore: false, loadingOlder: false, loaded: true, handoffs: [], briefing: null, pending: [], uploads: [], error: null } });
      useInbox.getState().attachFiles(5, [new File(['png'], 'фото.png', { type: 'image/png' })]);
      expect(xhrs[0]!.url).toBe('/api/v1/media?name=%D1%84%D0%BE%D1%82%D0%BE.png');
      xhrs[0]!.upload.onprogress?.({ lengthComputable: true, loaded: 1, total: 4 });
      expect(useInbox.getState().chat?.uploads[0]).toMatchObject({ name: 'фото.png', progress: 0.25, attachment: null });
      xhrs[0]!.status = 201;
      xhrs[0]!.responseText = JSON.stringify({ id: 9, url: '/api/v1/media/9', mime: 'image/png', size: 3 });
      xhrs[0]!.onload?.();
      await vi.waitFor(() => expect(useInbox.getState().chat?.uploads[0]?.attachment).toMatchObject({ type: 'image', url: '/api/v1/media/9' }));

      const attachment = useInbox.getState().chat!.uploads[0]!.attachment!;
      await useInbox.getState().send(5, '', [attachment]);
      expect(server.calls.find((c) => c.method === 'POST')?.body).toEqual({ text: '', attachments: [attachment] });
      expect(useInbox.getState().chat).toMatchObject({ uploads: [], pending: [] });
      expect(useInbox.getState().chat?.messages.map((m) => m.id)).toEqual([50]);

      // A file still on its way when the operator opens another chat does not follow them there.
      useInbox.getState().attachFiles(5, [new File(['pdf'], 'счёт.pdf', { type: 'application/pdf' })]);
      useInbox.setState({ activeId: 6, chat: { ...useInbox.getState().chat!, id: 6, uploads: [] } });
      xhrs[1]!.status = 201;
      xhrs[1]!.responseText = JSON.stringify({ id: 10, url: '/api/v1/media/10', mime: 'application/pdf', size: 3 });
      xhrs[1]!.onload?.();
      await Promise.resolve();
      expect(useInbox.getState().chat?.uploads).toEqual([]);
    } finally {
      vi.unstubAllGlobals();
    }
  });
});

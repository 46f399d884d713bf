// The app state (zustand): session, preferences, the conversation map, the open chat, the stream.
import { create } from 'zustand';
import { api, ApiError, setSessionEndedHandler, unwrap } from './shared/api/client';
import type {
  Account,
  Conversation,
  Handoff,
  Lead,
  Message,
  Operator,
  Preferences,
  QuickReply,
  ConversationsQuery,
  StreamEvent,
} from './shared/api/types';
import { normalizePreferences } from './shared/api/types';
import { alertFor } from './inbox/alerts/alerts';
import { accountIdsParam, patchConversation, upsertConversations, type ConvMap, type Tab } from './inbox/list/conversations';
import { mergeMessages, reconcilePending, settlePending, type PendingMessage } from './inbox/chat/messages';
import { RealtimeConnection, type ConnectionState } from './shared/realtime/realtime';
import { clearDraft } from './inbox/chat/drafts';
import { notifyAlert } from './inbox/alerts/notify';
import i18n from './shared/i18n';

export type AuthState = 'loading' | 'login' | 'ready' | 'expired';

interface TabPaging {
  cursor: string | null;
  loading: boolean;
  done: boolean;
  loaded: boolean;
}

export interface ChatState {
  id: number;
  messages: Message[];
  hasMore: boolean;
  loadingOlder: boolean;
  loaded: boolean;
  handoffs: Handoff[];
  briefing: Handoff | null;
  pending: PendingMessage[];
  error: string | null;
}

const PAGE = 200;
const MESSAGE_PAGE = 50;
const DEFAULT_PREFS: Preferences = { hidden_account_ids: [], sound: true, language: null };

const emptyPaging = (): Record<Tab, TabPaging> => ({
  bot: { cursor: null, loading: false, done: false, loaded: false },
  mine: { cursor: null, loading: false, done: false, loaded: false },
  all: { cursor: null, loading: false, done: false, loaded: false },
});

export interface AppState {
  auth: AuthState;
  me: Operator | null;
  prefs: Preferences;
  accounts: Account[];
  conversations: ConvMap;
  paging: Record<Tab, TabPaging>;
  tab: Tab;
  connection: ConnectionState;
  activeId: number | null;
  focusMessageId: number | null;
  chat: ChatState | null;
  quickReplies: QuickReply[];
  listError: string | null;
  /** Who wrote the messages seen (the list row's last_message has no author): id → author. */
  authors: ReadonlyMap<number, Message['author']>;

  boot(): Promise<void>;
  login(login: string, password: string): Promise<void>;
  logout(): Promise<void>;
  sessionEnded(): void;
  setTab(tab: Tab): void;
  loadTab(tab: Tab, reset?: boolean): Promise<void>;
  reloadAll(): Promise<void>;
  applyEvent(e: StreamEvent): void;
  openChat(id: number | null, focusMessageId?: number | null): Promise<void>;
  loadOlder(): Promise<boolean>;
  markRead(id: number): void;
  send(id: number, text: string, attachments?: Message['attachments']): Promise<void>;
  retry(messageId: number): Promise<void>;
  setLead(id: number, lead: Lead): Promise<void>;
  savePrefs(patch: Partial<Preferences>): Promise<void>;
  clearFocus(): void;
}

let stream: RealtimeConnection | null = null;
let booting = false;
function withAuthors(map: ReadonlyMap<number, Message['author']>, ms: readonly Message[]): ReadonlyMap<number, Message['author']> {
  const out = ms.filter((m) => m.direction === 'out' && !map.has(m.id));
  if (out.length === 0) return map;
  const next = new Map(map);
  for (const m of out) next.set(m.id, m.author);
  return next;
}

let sessionPoll: ReturnType<typeof setInterval> | null = null;

/** A session ended elsewhere (logout in another tab, revoked by an admin) is noticed within seconds. */
function watchSession(on: boolean) {
  if (sessionPoll) clearInterval(sessionPoll);
  sessionPoll = on ? setInterval(() => void api.GET('/api/v1/me').catch(() => undefined), 10_000) : null;
}

function errorText(e: unknown): string {
  if (e instanceof ApiError) {
    const key = `errors.${e.code}`;
    return i18n.exists(key) ? i18n.t(key) : e.message || i18n.t('errors.generic');
  }
  return i18n.t('errors.generic');
}

export { errorText };

export const useApp = create<AppState>()((set, get) => {
  const hiddenSet = () => new Set(get().prefs.hidden_account_ids);

  async function startSession(me: Operator) {
    const [rawPrefs, accounts, quickReplies] = await Promise.all([
      unwrap(api.GET('/api/v1/me/preferences')).catch(() => DEFAULT_PREFS),
      unwrap<Account[]>(api.GET('/api/v1/accounts')).catch((): Account[] => []),
      unwrap(api.GET('/api/v1/quick-replies')).catch((): QuickReply[] => []),
    ]);
    const prefs = normalizePreferences(rawPrefs);
    await i18n.changeLanguage(prefs.language === 'en' ? 'en' : 'ru');
    const tab: Tab = get().tab === 'all' && me.role !== 'admin' ? 'mine' : get().tab;
    set({ me, prefs, accounts, quickReplies, auth: 'ready', tab, conversations: new Map(), paging: emptyPaging() });
    setSessionEndedHandler(() => get().sessionEnded());
    stream?.stop();
    stream = new RealtimeConnection({
      onEvent: (e) => get().applyEvent(e),
      // The first hello (and every resync) fixes the seq to continue from BEFORE the REST load, so
      // events committed during the load arrive on the socket and are merged on top of it.
      onReload: () => void get().reloadAll(),
      onState: (s) => {
        set({ connection: s });
        if (s === 'reconnecting') {
          // A socket that cannot reconnect may be a session that ended: the 401 here says so.
          void api.GET('/api/v1/me').catch(() => undefined);
        }
      },
      onExpired: () => get().sessionEnded(),
    });
    set({ connection: navigator.onLine ? 'reconnecting' : 'offline' });
    stream.start();
    watchSession(true);
  }

  return {
    auth: 'loading',
    me: null,
    prefs: DEFAULT_PREFS,
    accounts: [],
    conversations: new Map(),
    paging: emptyPaging(),
    tab: 'mine',
    connection: 'reconnecting',
    activeId: null,
    focusMessageId: null,
    chat: null,
    quickReplies: [],
    listError: null,
    authors: new Map(),

    async boot() {
      if (booting) return;
      booting = true;
      try {
        const me = await unwrap(api.GET('/api/v1/me'));
        await startSession(me);
      } catch {
        set({ auth: 'login' });
      }
    },

    async login(login, password) {
      const r = await unwrap(api.POST('/api/v1/auth/login', { body: { login, password } }));
      const wasExpired = get().auth === 'expired';
      await startSession(r.operator);
      if (wasExpired && get().activeId != null) await get().openChat(get().activeId, null);
    },

    async logout() {
      watchSession(false);
      stream?.stop();
      stream = null;
      setSessionEndedHandler(null);
      await api.POST('/api/v1/auth/logout').catch(() => undefined);
      set({ auth: 'login', me: null, conversations: new Map(), paging: emptyPaging(), activeId: null, chat: null });
    },

    sessionEnded() {
      if (get().auth !== 'ready') return;
      watchSession(false);
      stream?.stop();
      stream = null;
      set({ auth: 'expired' });
    },

    setTab(tab) {
      set({ tab });
      if (!get().paging[tab].loaded) void get().loadTab(tab, true);
    },

    async loadTab(tab, reset = false) {
      const paging = get().paging[tab];
      if (paging.loading || (!reset && paging.done)) return;
      const me = get().me;
      if (!me) return;
      set((s) => ({ paging: { ...s.paging, [tab]: { ...s.paging[tab], loading: true } } }));
      const query: ConversationsQuery = { limit: PAGE };
      if (tab === 'bot') query.lead = 'bot';
      if (tab === 'mine') {
        query.lead = 'operator';
        query.assignee = 'me_or_unassigned';
      }
      const ids = accountIdsParam(
        get().accounts.map((a) => a.id),
        hiddenSet(),
      );
      if (ids !== undefined) query.account_ids = ids;
      const cursor = reset ? null : paging.cursor;
      if (cursor) query.cursor = cursor;
      try {
        const page = await unwrap(
          api.GET('/api/v1/conversations', { params: { query } }),
        );
        set((s) => ({
          conversations: upsertConversations(s.conversations, page.items),
          listError: null,
          paging: {
            ...s.paging,
            [tab]: { cursor: page.next_cursor ?? null, loading: false, done: !page.next_cursor, loaded: true },
          },
        }));
      } catch (e) {
        set((s) => ({ listError: errorText(e), paging: { ...s.paging, [tab]: { ...s.paging[tab], loading: false } } }));
      }
    },

    async reloadAll() {
      const tab = get().tab;
      set({ paging: emptyPaging() });
      await get().loadTab(tab, true);
      const active = get().activeId;
      if (active != null) await get().openChat(active, get().focusMessageId);
    },

    applyEvent(e) {
      const state = get();
      const me = state.me;
      if (!me) return;
      if ('conversation' in e && e.conversation) {
        set((s) => ({ conversations: upsertConversations(s.conversations, [e.conversation as Conversation]) }));
      }
      if ((e.type === 'message.created' || e.type === 'message.updated') && e.message) {
        const m = e.message;
        if (m.direction === 'out' && !get().authors.has(m.id)) set((s) => ({ authors: withAuthors(s.authors, [m]) }));
        const conv = get().conversations.get(e.conversation_id);
        if (
          conv &&
          e.type === 'message.created' &&
          conv.last_message?.id !== m.id &&
          (!conv.last_message || conv.last_message.at <= m.created_at)
        ) {
          set((s) => ({
            conversations: patchConversation(s.conversations, conv.id, {
              last_message: { id: m.id, text: m.text, direction: m.direction, at: m.created_at },
              unread_count:
                m.direction === 'in' && s.activeId !== conv.id ? conv.unread_count + 1 : conv.unread_count,
            }),
          }));
        }
        const chat = get().chat;
        if (chat && chat.id === e.conversation_id) {
          // The echo of our own send may come before the POST answers: it replaces the pending copy.
          const pending = m.author.kind === 'operator' && m.author.operator_id === me.id ? reconcilePending(chat.pending, m) : chat.pending;
          set({ chat: { ...chat, messages: mergeMessages(chat.messages, [m]), pending } });
          if (e.type === 'message.created' && m.direction === 'in' && document.visibilityState === 'visible') {
            get().markRead(chat.id);
          }
        }
      }
      if (e.type === 'conversation.lead_changed' && e.handoff) {
        const chat = get().chat;
        const h = e.handoff;
        if (chat && chat.id === e.conversation_id) {
          const handoffs = chat.handoffs.some((x) => x.id === h.id) ? chat.handoffs : [...chat.handoffs, h];
          set({ chat: { ...chat, handoffs, briefing: h.to === 'operator' && h.briefing ? h : h.to === 'bot' ? null : chat.briefing } });
        }
      }
      const alert = alertFor(e, {
        operatorId: me.id,
        hiddenAccounts: hiddenSet(),
        conversations: get().conversations,
      });
      if (alert) notifyAlert(alert, get().conversations.get(alert.conversationId), get().prefs.sound);
    },

    async openChat(id, focusMessageId = null) {
      if (id == null) {
        set({ activeId: null, chat: null, focusMessageId: null });
        return;
      }
      const same = get().chat?.id === id;
      set({
        activeId: id,
        focusMessageId,
        chat: same
          ? get().chat
          : { id, messages: [], hasMore: false, loadingOlder: false, loaded: false, handoffs: [], briefing: null, pending: [], error: null },
      });
      try {
        const [detail, page, handoffs] = await Promise.all([
          unwrap(api.GET('/api/v1/conversations/{id}', { params: { path: { id } } })),
          unwrap(api.GET('/api/v1/conversations/{id}/messages', { params: { path: { id }, query: { limit: MESSAGE_PAGE } } })),
          unwrap(api.GET('/api/v1/conversations/{id}/handoffs', { params: { path: { id } } })),
        ]);
        if (get().activeId !== id) return;
        set((s) => {
          const chat = s.chat && s.chat.id === id ? s.chat : null;
          return {
            conversations: upsertConversations(s.conversations, [detail.conversation]),
            authors: withAuthors(s.authors, page.items),
            chat: {
              id,
              messages: mergeMessages(chat?.messages ?? [], page.items),
              hasMore: chat?.loaded ? chat.hasMore : page.has_more,
              loadingOlder: false,
              loaded: true,
              handoffs,
              briefing: detail.briefing ?? null,
              pending: chat?.pending ?? [],
              error: null,
            },
          };
        });
        if (document.visibilityState === 'visible') get().markRead(id);
      } catch (e) {
        const chat = get().chat;
        if (chat && chat.id === id) set({ chat: { ...chat, error: errorText(e) } });
      }
    },

    async loadOlder() {
      const chat = get().chat;
      if (!chat || !chat.hasMore || chat.loadingOlder || !chat.loaded) return false;
      const first = chat.messages[0];
      if (!first) return false;
      set({ chat: { ...chat, loadingOlder: true } });
      try {
        const page = await unwrap(
          api.GET('/api/v1/conversations/{id}/messages', {
            params: { path: { id: chat.id }, query: { before: first.id, limit: MESSAGE_PAGE } },
          }),
        );
        const cur = get().chat;
        if (!cur || cur.id !== chat.id) return false;
        set({ chat: { ...cur, messages: mergeMessages(cur.messages, page.items), hasMore: page.has_more, loadingOlder: false } });
        return true;
      } catch (e) {
        const cur = get().chat;
        if (cur && cur.id === chat.id) set({ chat: { ...cur, loadingOlder: false, error: errorText(e) } });
        return false;
      }
    },

    markRead(id) {
      const c = get().conversations.get(id);
      if (c && c.unread_count > 0) set((s) => ({ conversations: patchConversation(s.conversations, id, { unread_count: 0 }) }));
      void api.POST('/api/v1/conversations/{id}/read', { params: { path: { id } } }).catch(() => undefined);
    },

    async send(id, text, attachments = []) {
      const localId = `local-${Date.now()}-${Math.random().toString(36).slice(2)}`;
      const pending: PendingMessage = { localId, text, attachments: attachments.length, createdAt: new Date().toISOString() };
      const withPending = (fn: (p: PendingMessage[]) => PendingMessage[]) => {
        const chat = get().chat;
        if (chat && chat.id === id) set({ chat: { ...chat, pending: fn(chat.pending) } });
      };
      withPending((p) => [...p, pending]);
      try {
        const r = await unwrap(
          api.POST('/api/v1/conversations/{id}/messages', { params: { path: { id } }, body: { text, attachments } }),
        );
        clearDraft(id);
        const chat = get().chat;
        if (chat && chat.id === id) {
          set({ chat: { ...chat, messages: mergeMessages(chat.messages, [r.message]), pending: settlePending(chat.pending, localId) } });
        }
      } catch (e) {
        withPending((p) => settlePending(p, localId));
        throw e;
      }
    },

    async retry(messageId) {
      const m = await unwrap(api.POST('/api/v1/messages/{id}/retry', { params: { path: { id: messageId } } }));
      const chat = get().chat;
      if (chat && chat.id === m.conversation_id) set({ chat: { ...chat, messages: mergeMessages(chat.messages, [m]) } });
    },

    async setLead(id, lead) {
      await unwrap(api.POST('/api/v1/conversations/{id}/lead', { params: { path: { id } }, body: { lead } }));
      const detail = await unwrap(api.GET('/api/v1/conversations/{id}', { params: { path: { id } } }));
      set((s) => ({ conversations: upsertConversations(s.conversations, [detail.conversation]) }));
    },

    async savePrefs(patch) {
      const prev = get().prefs;
      const next = { ...prev, ...patch };
      set({ prefs: next });
      if (patch.language !== undefined) void i18n.changeLanguage(next.language === 'en' ? 'en' : 'ru');
      const accountsChanged = patch.hidden_account_ids !== undefined;
      if (accountsChanged) {
        set({ paging: emptyPaging() });
        void get().loadTab(get().tab, true);
      }
      try {
        const saved = await unwrap(api.PUT('/api/v1/me/preferences', { body: next }));
        set({ prefs: normalizePreferences(saved) });
      } catch {
        // Kept locally for this session; the next change tries again.
      }
    },

    clearFocus() {
      set({ focusMessageId: null });
    },
  };
});

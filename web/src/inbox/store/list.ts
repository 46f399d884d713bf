// The list slice: every conversation the app knows (one map), the tab shown and each tab's paging,
// and the authors of the last messages for the rows' «Вы:» / «Бот:».
import type { StateCreator } from 'zustand';
import { api, unwrap } from '../../shared/api/client';
import { errorText } from '../../shared/api/errors';
import type { Conversation, ConversationsQuery, StreamEvent } from '../../shared/api/types';
import { useSession } from '../../shared/session/store';
import { accountIdsParam, newMessagePatch, patchConversation, upsertConversations, type ConvMap, type Tab } from '../list/conversations';
import { rememberAuthors, type Authors } from '../list/preview';
import type { InboxState } from './index';

export interface TabPaging {
  cursor: string | null;
  loading: boolean;
  done: boolean;
  loaded: boolean;
}

const PAGE = 200;

export const emptyPaging = (): Record<Tab, TabPaging> => ({
  bot: { cursor: null, loading: false, done: false, loaded: false },
  mine: { cursor: null, loading: false, done: false, loaded: false },
  all: { cursor: null, loading: false, done: false, loaded: false },
});

/** The list query of a tab, for the accounts the operator has not hidden. */
export function tabQuery(tab: Tab, accountIds: readonly number[], hidden: ReadonlySet<number>, cursor: string | null): ConversationsQuery {
  const query: ConversationsQuery = { limit: PAGE };
  if (tab === 'bot') query.lead = 'bot';
  if (tab === 'mine') {
    query.lead = 'operator';
    query.assignee = 'me_or_unassigned';
  }
  const ids = accountIdsParam(accountIds, hidden);
  if (ids !== undefined) query.account_ids = ids;
  if (cursor) query.cursor = cursor;
  return query;
}

export interface ListSlice {
  conversations: ConvMap;
  paging: Record<Tab, TabPaging>;
  /** The tab shown: a mirror of the URL (see `followUrl`). */
  tab: Tab;
  listError: string | null;
  authors: Authors;
  setTab(tab: Tab): void;
  /** The first page (`reset`) or the next one of a tab. */
  loadTab(tab: Tab, reset?: boolean): Promise<void>;
  upsert(items: readonly Conversation[]): void;
  markRead(id: number): void;
  applyListEvent(e: StreamEvent): void;
}

export const listSlice: StateCreator<InboxState, [], [], ListSlice> = (set, get) => ({
  conversations: new Map(),
  paging: emptyPaging(),
  tab: 'mine',
  listError: null,
  authors: new Map(),

  setTab(tab) {
    set({ tab });
    if (!get().paging[tab].loaded) void get().loadTab(tab, true);
  },

  async loadTab(tab, reset = false) {
    const paging = get().paging[tab];
    if (paging.loading || (!reset && paging.done)) return;
    const { me, accounts, prefs } = useSession.getState();
    if (!me) return;
    set((s) => ({ paging: { ...s.paging, [tab]: { ...s.paging[tab], loading: true } } }));
    const query = tabQuery(
      tab,
      accounts.map((a) => a.id),
      new Set(prefs.hidden_account_ids),
      reset ? null : paging.cursor,
    );
    try {
      const page = await unwrap(api.GET('/api/v1/conversations', { params: { query } }));
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

  upsert(items) {
    set((s) => ({ conversations: upsertConversations(s.conversations, items) }));
  },

  markRead(id) {
    const c = get().conversations.get(id);
    if (c && c.unread_count > 0) set((s) => ({ conversations: patchConversation(s.conversations, id, { unread_count: 0 }) }));
    void api.POST('/api/v1/conversations/{id}/read', { params: { path: { id } } }).catch(() => undefined);
  },

  applyListEvent(e) {
    if ('conversation' in e && e.conversation) get().upsert([e.conversation]);
    if ((e.type === 'message.created' || e.type === 'message.updated') && e.message) {
      const m = e.message;
      const authors = rememberAuthors(get().authors, [m]);
      if (authors !== get().authors) set({ authors });
      const conv = get().conversations.get(e.conversation_id);
      const patch = conv && e.type === 'message.created' ? newMessagePatch(conv, m, get().activeId) : null;
      if (conv && patch) set((s) => ({ conversations: patchConversation(s.conversations, conv.id, patch) }));
    }
  },
});

// The search slice: «Поиск или новый чат» over message texts. The URL holds what is typed and the
// lead filter (`followUrl` hands them here); this slice debounces the text, asks the server, pages
// the hits and drops answers to a query that has been replaced meanwhile.
import type { StateCreator } from 'zustand';
import { api, unwrap } from '../../shared/api/client';
import { errorText } from '../../shared/api/errors';
import type { SearchHit, SearchQuery } from '../../shared/api/types';
import { useSession } from '../../shared/session/store';
import { accountIdsParam } from '../list/conversations';
import type { SearchLead } from '../url';
import type { InboxState } from './index';

/** Typing settles this long before a query goes out. */
export const SEARCH_DEBOUNCE_MS = 250;
/** Shorter queries are not sent («Введите хотя бы 2 символа»). */
export const SEARCH_MIN_CHARS = 2;
const LIMIT = 20;

export interface SearchState {
  /** The settled query the hits are for (trimmed). */
  query: string;
  by: SearchLead | null;
  hits: SearchHit[];
  /** Conversations found; `null` before the first answer to this query. */
  total: number | null;
  loading: boolean;
  error: string | null;
}

const idle = (): SearchState => ({ query: '', by: null, hits: [], total: null, loading: false, error: null });

export interface SearchSlice {
  search: SearchState;
  /** What the search box says now: the text is debounced, a filter change applies at once. */
  setSearch(typed: string, by: SearchLead | null): void;
  /** The next page of hits. */
  searchMore(): void;
  /** The same query again (the visible accounts changed). */
  rerunSearch(): void;
  clearSearch(): void;
  /** A hit opens its conversation at the message found. */
  openSearchHit(hit: SearchHit): void;
}

export const searchSlice: StateCreator<InboxState, [], [], SearchSlice> = (set, get) => {
  let timer: ReturnType<typeof setTimeout> | null = null;
  /** The trimmed text waiting for its debounce (or settled). */
  let typed = '';
  /** Bumped by every request: an answer for an older one is dropped. */
  let generation = 0;

  const patch = (p: Partial<SearchState>) => set((s) => ({ search: { ...s.search, ...p } }));

  async function run(offset: number) {
    const { query, by } = get().search;
    const gen = ++generation;
    if (query.length < SEARCH_MIN_CHARS) {
      patch({ hits: [], total: null, loading: false, error: null });
      return;
    }
    const { accounts, prefs } = useSession.getState();
    const params: SearchQuery = { q: query, limit: LIMIT, offset };
    if (by) params.lead = by;
    const ids = accountIdsParam(accounts.map((a) => a.id), new Set(prefs.hidden_account_ids));
    if (ids !== undefined) params.account_ids = ids;
    patch({ loading: true });
    try {
      const r = await unwrap(api.GET('/api/v1/search', { params: { query: params } }));
      if (gen !== generation) return;
      patch({ total: r.total_conversations, hits: offset === 0 ? r.hits : [...get().search.hits, ...r.hits], error: null, loading: false });
    } catch (e) {
      if (gen === generation) patch({ error: errorText(e), loading: false });
    }
  }

  function cancelTimer() {
    if (timer) clearTimeout(timer);
    timer = null;
  }

  return {
    search: idle(),

    setSearch(text, by) {
      const trimmed = text.trim();
      if (trimmed === '') {
        // Out of search: the next one starts afresh, without the old hits.
        if (typed !== '' || get().search.query !== '') get().clearSearch();
        if (get().search.by !== by) patch({ by });
        return;
      }
      const byChanged = by !== get().search.by;
      if (byChanged) patch({ by });
      if (trimmed !== typed) {
        typed = trimmed;
        cancelTimer();
        timer = setTimeout(() => {
          timer = null;
          patch({ query: typed });
          void run(0);
        }, SEARCH_DEBOUNCE_MS);
      } else if (byChanged) {
        void run(0);
      }
    },

    searchMore() {
      const { total, hits, loading } = get().search;
      if (loading || total === null || hits.length >= total) return;
      void run(hits.length);
    },

    rerunSearch() {
      if (get().search.query !== '') void run(0);
    },

    clearSearch() {
      cancelTimer();
      typed = '';
      generation += 1;
      set({ search: idle() });
    },

    openSearchHit(hit) {
      get().upsert([hit.conversation]);
      void get().openChat(hit.conversation_id, hit.message_id);
    },
  };
};

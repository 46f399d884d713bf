// The messenger's state: one zustand store composed of slices — `list` (the conversation map, the
// tabs and their paging), `chat` (the open conversation, its sends and uploads), `search` and
// `quickReplies` — and the glue below, which is what crosses slices: a stream event applied to
// all of them, the reload after a (re)connection, following the URL, and the session's start and end.
//
// Screens read this store and call its actions; they do not fetch. The URL is the source of the
// tab, the open conversation and the search (inbox/url.ts); `followUrl` mirrors it here, where the
// loaders and the stream need it. The session (who, preferences, accounts, the stream) is the shared
// store in shared/session, which this one follows (`connectInbox`) and never the other way round.
import { create } from 'zustand';
import type { StreamEvent } from '../../shared/api/types';
import { isAdmin } from '../../shared/session/auth';
import { sameIds } from '../../shared/session/prefs';
import { listenToStream, useSession } from '../../shared/session/store';
import { alertFor } from '../alerts/alerts';
import { notifyAlert } from '../alerts/notify';
import type { InboxUrl } from '../url';
import { chatSlice, type ChatSlice } from './chat';
import { emptyPaging, listSlice, type ListSlice } from './list';
import { quickRepliesSlice, type QuickRepliesSlice } from './quickReplies';
import { searchSlice, type SearchSlice } from './search';

interface Glue {
  applyEvent(e: StreamEvent): void;
  /** After the stream's hello or a resync: the tab's first page again, and the open chat. */
  reloadAll(): Promise<void>;
  followUrl(url: InboxUrl): void;
  sessionStarted(): void;
  sessionClosed(): void;
  visibleAccountsChanged(): void;
}

export type InboxState = ListSlice & ChatSlice & SearchSlice & QuickRepliesSlice & Glue;

export const useInbox = create<InboxState>()((...a) => {
  const [set, get] = a;
  return {
    ...listSlice(...a),
    ...chatSlice(...a),
    ...searchSlice(...a),
    ...quickRepliesSlice(...a),

    applyEvent(e) {
      const { me, prefs } = useSession.getState();
      if (!me) return;
      get().applyListEvent(e);
      get().applyChatEvent(e);
      const hiddenAccounts = new Set(prefs.hidden_account_ids);
      const alert = alertFor(e, { operatorId: me.id, hiddenAccounts, conversations: get().conversations });
      if (alert) notifyAlert(alert, get().conversations.get(alert.conversationId), prefs.sound);
    },

    async reloadAll() {
      set({ paging: emptyPaging() });
      await get().loadTab(get().tab, true);
      const active = get().activeId;
      if (active != null) await get().openChat(active, get().focusMessageId);
    },

    followUrl(url) {
      if (get().tab !== url.tab) get().setTab(url.tab);
      if (get().activeId !== url.conversationId) void get().openChat(url.conversationId);
      get().setSearch(url.q, url.by);
    },

    sessionStarted() {
      const me = useSession.getState().me;
      const tab = get().tab === 'all' && !isAdmin(me) ? 'mine' : get().tab;
      set({ tab, conversations: new Map(), paging: emptyPaging() });
      void get().loadQuickReplies();
    },

    sessionClosed() {
      set({ conversations: new Map(), paging: emptyPaging(), activeId: null, chat: null, focusMessageId: null });
      get().clearSearch();
    },

    visibleAccountsChanged() {
      set({ paging: emptyPaging() });
      void get().loadTab(get().tab, true);
      get().rerunSearch();
    },
  };
});

/**
 * Makes the inbox follow the session: its state resets when a session starts or ends, the lists
 * reload when the operator hides or shows an account, and stream events reach it. Called once at
 * start-up (main.tsx); returns the undo, for tests.
 */
export function connectInbox(): () => void {
  const offStream = listenToStream({
    event: (e) => useInbox.getState().applyEvent(e),
    reload: () => void useInbox.getState().reloadAll(),
  });
  const offSession = useSession.subscribe((s, prev) => {
    const inbox = useInbox.getState();
    if (s.auth === 'ready' && prev.auth !== 'ready') inbox.sessionStarted();
    else if (s.me === null && prev.me !== null) inbox.sessionClosed();
    else if (s.auth === 'ready' && !sameIds(s.prefs.hidden_account_ids, prev.prefs.hidden_account_ids)) inbox.visibleAccountsChanged();
  });
  return () => {
    offStream();
    offSession();
  };
}

export type { ChatState } from './chat';
export type { Upload } from '../chat/uploads';

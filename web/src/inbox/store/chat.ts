// The open chat slice: which conversation is open (a mirror of the URL), its history paged upwards,
// its handoffs and briefing, our sends in flight, the files being attached, and the acts on it
// (send, retry, hand to the bot or take over).
import type { StateCreator } from 'zustand';
import { api, uploadMedia, unwrap } from '../../shared/api/client';
import { errorText } from '../../shared/api/errors';
import type { Handoff, Lead, Message, StreamEvent } from '../../shared/api/types';
import { useSession } from '../../shared/session/store';
import { clearDraft } from '../chat/drafts';
import { addHandoff, mergeMessages, reconcilePending, settlePending, type PendingMessage } from '../chat/messages';
import { attachmentFor, type Upload } from '../chat/uploads';
import { rememberAuthors } from '../list/preview';
import type { InboxState } from './index';

export interface ChatState {
  id: number;
  messages: Message[];
  hasMore: boolean;
  loadingOlder: boolean;
  loaded: boolean;
  handoffs: Handoff[];
  briefing: Handoff | null;
  pending: PendingMessage[];
  /** Files attached in the composer for the next message; they belong to this chat only. */
  uploads: Upload[];
  error: string | null;
}

const MESSAGE_PAGE = 50;

const emptyChat = (id: number): ChatState => ({
  id,
  messages: [],
  hasMore: false,
  loadingOlder: false,
  loaded: false,
  handoffs: [],
  briefing: null,
  pending: [],
  uploads: [],
  error: null,
});

export interface ChatSlice {
  activeId: number | null;
  /** A search hit's message, to scroll to and highlight once it is loaded. */
  focusMessageId: number | null;
  chat: ChatState | null;
  openChat(id: number | null, focusMessageId?: number | null): Promise<void>;
  /** The page before the oldest message; whether one was added. */
  loadOlder(): Promise<boolean>;
  send(id: number, text: string, attachments?: Message['attachments']): Promise<void>;
  retry(messageId: number): Promise<void>;
  setLead(id: number, lead: Lead): Promise<void>;
  clearFocus(): void;
  attachFiles(id: number, files: readonly File[]): void;
  removeUpload(key: string): void;
  applyChatEvent(e: StreamEvent): void;
}

export const chatSlice: StateCreator<InboxState, [], [], ChatSlice> = (set, get) => {
  /** Change the open chat if it is still `id` (an answer may come after the operator moved on). */
  const updateChat = (id: number, fn: (chat: ChatState) => ChatState) => {
    const chat = get().chat;
    if (chat && chat.id === id) set({ chat: fn(chat) });
  };
  const updateUpload = (id: number, key: string, patch: Partial<Upload>) =>
    updateChat(id, (c) => ({ ...c, uploads: c.uploads.map((u) => (u.key === key ? { ...u, ...patch } : u)) }));

  return {
    activeId: null,
    focusMessageId: null,
    chat: null,

    async openChat(id, focusMessageId = null) {
      if (id == null) {
        set({ activeId: null, chat: null, focusMessageId: null });
        return;
      }
      const same = get().chat?.id === id;
      set({ activeId: id, focusMessageId, chat: same ? get().chat : emptyChat(id) });
      try {
        const [detail, page, handoffs] = await Promise.all([
          unwrap(api.GET('/api/v1/conversations/{id}', { params: { path: { id } } })),
          unwrap(api.GET('/api/v1/conversations/{id}/messages', { params: { path: { id }, query: { limit: MESSAGE_PAGE } } })),
          unwrap(api.GET('/api/v1/conversations/{id}/handoffs', { params: { path: { id } } })),
        ]);
        if (get().activeId !== id) return;
        get().upsert([detail.conversation]);
        set((s) => {
          const chat = s.chat && s.chat.id === id ? s.chat : null;
          return {
            authors: rememberAuthors(s.authors, page.items),
            chat: {
              id,
              messages: mergeMessages(chat?.messages ?? [], page.items),
              hasMore: chat?.loaded ? chat.hasMore : page.has_more,
              loadingOlder: false,
              loaded: true,
              handoffs,
              briefing: detail.briefing ?? null,
              pending: chat?.pending ?? [],
              uploads: chat?.uploads ?? [],
              error: null,
            },
          };
        });
        if (document.visibilityState === 'visible') get().markRead(id);
      } catch (e) {
        updateChat(id, (c) => ({ ...c, error: errorText(e) }));
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
        updateChat(chat.id, (c) => ({ ...c, loadingOlder: false, error: errorText(e) }));
        return false;
      }
    },

    async send(id, text, attachments = []) {
      const localId = `local-${Date.now()}-${Math.random().toString(36).slice(2)}`;
      const pending: PendingMessage = { localId, text, attachments: attachments.length, createdAt: new Date().toISOString() };
      updateChat(id, (c) => ({ ...c, pending: [...c.pending, pending] }));
      try {
        const r = await unwrap(
          api.POST('/api/v1/conversations/{id}/messages', { params: { path: { id } }, body: { text, attachments } }),
        );
        clearDraft(id);
        // Sent: the message replaces its pending copy, and the composer's files went with it.
        updateChat(id, (c) => ({ ...c, messages: mergeMessages(c.messages, [r.message]), pending: settlePending(c.pending, localId), uploads: [] }));
      } catch (e) {
        updateChat(id, (c) => ({ ...c, pending: settlePending(c.pending, localId) }));
        throw e;
      }
    },

    async retry(messageId) {
      const m = await unwrap(api.POST('/api/v1/messages/{id}/retry', { params: { path: { id: messageId } } }));
      updateChat(m.conversation_id, (c) => ({ ...c, messages: mergeMessages(c.messages, [m]) }));
    },

    async setLead(id, lead) {
      await unwrap(api.POST('/api/v1/conversations/{id}/lead', { params: { path: { id } }, body: { lead } }));
      const detail = await unwrap(api.GET('/api/v1/conversations/{id}', { params: { path: { id } } }));
      get().upsert([detail.conversation]);
    },

    clearFocus() {
      set({ focusMessageId: null });
    },

    attachFiles(id, files) {
      for (const f of files) {
        const key = `${Date.now()}-${Math.random()}`;
        updateChat(id, (c) => ({ ...c, uploads: [...c.uploads, { key, name: f.name, progress: 0, error: null, attachment: null }] }));
        uploadMedia(f, (progress) => updateUpload(id, key, { progress }))
          .then((stored) => updateUpload(id, key, { progress: 1, attachment: attachmentFor(f.name, stored) }))
          .catch((e: unknown) => updateUpload(id, key, { error: errorText(e) }));
      }
    },

    removeUpload(key) {
      const chat = get().chat;
      if (chat) set({ chat: { ...chat, uploads: chat.uploads.filter((u) => u.key !== key) } });
    },

    applyChatEvent(e) {
      const me = useSession.getState().me;
      const chat = get().chat;
      if (!me || !chat || chat.id !== e.conversation_id) return;
      if ((e.type === 'message.created' || e.type === 'message.updated') && e.message) {
        const m = e.message;
        // The echo of our own send may come before the POST answers: it replaces the pending copy.
        const pending = m.author.kind === 'operator' && m.author.operator_id === me.id ? reconcilePending(chat.pending, m) : chat.pending;
        set({ chat: { ...chat, messages: mergeMessages(chat.messages, [m]), pending } });
        if (e.type === 'message.created' && m.direction === 'in' && document.visibilityState === 'visible') get().markRead(chat.id);
      }
      if (e.type === 'conversation.lead_changed' && e.handoff) {
        const cur = get().chat;
        if (cur) set({ chat: { ...cur, ...addHandoff(cur, e.handoff) } });
      }
    },
  };
};

// The quick replies slice: the templates of the ⚡ panel (shared ones and the operator's own),
// loaded when a session starts.
import type { StateCreator } from 'zustand';
import { api, unwrap } from '../../shared/api/client';
import type { QuickReply } from '../../shared/api/types';
import type { InboxState } from './index';

export interface QuickRepliesSlice {
  quickReplies: QuickReply[];
  loadQuickReplies(): Promise<void>;
}

export const quickRepliesSlice: StateCreator<InboxState, [], [], QuickRepliesSlice> = (set) => ({
  quickReplies: [],
  async loadQuickReplies() {
    const quickReplies = await unwrap(api.GET('/api/v1/quick-replies')).catch((): QuickReply[] => []);
    set({ quickReplies });
  },
});

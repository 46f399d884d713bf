// Drafts per conversation, kept in localStorage so they survive reloads, disconnects and re-login.

const KEY = 'frontline.draft.';

export function loadDraft(conversationId: number, storage: Storage = localStorage): string {
  try {
    return storage.getItem(KEY + conversationId) ?? '';
  } catch {
    return '';
  }
}

export function saveDraft(conversationId: number, text: string, storage: Storage = localStorage): void {
  try {
    if (text.trim() === '') storage.removeItem(KEY + conversationId);
    else storage.setItem(KEY + conversationId, text);
  } catch {
    // Storage full or disabled: the draft lives only in memory.
  }
}

export function clearDraft(conversationId: number, storage: Storage = localStorage): void {
  saveDraft(conversationId, '', storage);
}

// The categories every knowledge screen shares (the panel, the list's filter, the editor's select,
// the Markdown import): loaded once, then kept as the server returns them after each change.
import { create } from 'zustand';
import * as kb from './api';
import { moveBy, moveTo, sameOrder } from './logic/categoryOrder';

interface CategoriesState {
  list: kb.KbCategoryListed[];
  loaded: boolean;
  error: unknown;
  load: () => Promise<void>;
  /** Create (201) or retitle (200) `key`. */
  put: (key: string, title: string) => Promise<void>;
  remove: (key: string) => Promise<void>;
  /** Move `key` one place (`-1` up, `+1` down) or to `index`. */
  move: (key: string, to: { by: -1 | 1 } | { index: number }) => Promise<void>;
}

export const useKbCategories = create<CategoriesState>((set, get) => ({
  list: [],
  loaded: false,
  error: null,
  load: async () => {
    try {
      set({ list: await kb.listCategories(), loaded: true, error: null });
    } catch (e) {
      set({ error: e, loaded: true });
    }
  },
  put: async (key, title) => {
    await kb.putCategory(key, title);
    await get().load();
  },
  remove: async (key) => {
    try {
      await kb.deleteCategory(key);
    } finally {
      // Refreshed either way: a refused delete shows the count as it is now.
      await get().load();
    }
  },
  move: async (key, to) => {
    const keys = get().list.map((c) => c.key);
    const next = 'by' in to ? moveBy(keys, key, to.by) : moveTo(keys, keys.indexOf(key), to.index);
    if (sameOrder(keys, next)) return;
    const before = get().list;
    // Shown in the new order at once; the server's answer (or the old order, on failure) follows.
    set({ list: next.map((k) => before.find((c) => c.key === k)!) });
    try {
      const saved = await kb.reorderCategories(next);
      const byKey = new Map(before.map((c) => [c.key, c]));
      set({ list: saved.map((c) => ({ ...c, articles: byKey.get(c.key)?.articles ?? 0, published_articles: byKey.get(c.key)?.published_articles ?? 0 })) });
    } catch (e) {
      set({ list: before });
      throw e;
    }
  },
}));

/** A category's title by key, or the key itself for one not (or no longer) known. */
export function categoryTitle(list: readonly kb.KbCategory[], key: string): string {
  return list.find((c) => c.key === key)?.title ?? key;
}

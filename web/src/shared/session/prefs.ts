// The operator's preferences (hidden accounts, sound, language), kept on the server so they follow
// the operator to any browser. A change applies at once and is saved behind it.
import type { StateCreator } from 'zustand';
import { api, unwrap } from '../api/client';
import { normalizePreferences, type Preferences } from '../api/types';
import i18n from '../i18n';
import type { SessionState } from './store';

export const DEFAULT_PREFS: Preferences = { hidden_account_ids: [], sound: true, language: null };

export interface PrefsSlice {
  prefs: Preferences;
  loadPrefs(): Promise<Preferences>;
  savePrefs(patch: Partial<Preferences>): Promise<void>;
}

export function applyLanguage(prefs: Preferences): Promise<unknown> {
  return i18n.changeLanguage(prefs.language === 'en' ? 'en' : 'ru');
}

/** Whether two lists of account ids hold the same ids (a saved copy is a new array). */
export function sameIds(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  const set = new Set(a);
  return b.every((id) => set.has(id));
}

export const prefsSlice: StateCreator<SessionState, [], [], PrefsSlice> = (set, get) => ({
  prefs: DEFAULT_PREFS,

  loadPrefs: () =>
    unwrap(api.GET('/api/v1/me/preferences'))
      .then(normalizePreferences)
      .catch(() => DEFAULT_PREFS),

  async savePrefs(patch) {
    const next = { ...get().prefs, ...patch };
    set({ prefs: next });
    if (patch.language !== undefined) void applyLanguage(next);
    try {
      const saved = await unwrap(api.PUT('/api/v1/me/preferences', { body: next }));
      set({ prefs: normalizePreferences(saved) });
    } catch {
      // Kept locally for this session; the next change tries again.
    }
  },
});

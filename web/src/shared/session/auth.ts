// Signing in and out: who the operator is, and whether the session is loading, signed out, ready
// or ended behind the app's back (`expired`: drafts and the open chat wait for the re-login).
import type { StateCreator } from 'zustand';
import { api, setSessionEndedHandler, unwrap } from '../api/client';
import type { Operator } from '../api/types';
import { applyLanguage } from './prefs';
import type { SessionState } from './store';

export type AuthState = 'loading' | 'login' | 'ready' | 'expired';

export interface AuthSlice {
  auth: AuthState;
  me: Operator | null;
  boot(): Promise<void>;
  login(login: string, password: string): Promise<void>;
  logout(): Promise<void>;
  sessionEnded(): void;
}

/** Whether the operator may see the administration area (and the «Все» tab). */
export function isAdmin(me: Pick<Operator, 'role'> | null | undefined): boolean {
  return me?.role === 'admin';
}

let booting = false;
let sessionPoll: ReturnType<typeof setInterval> | null = null;

/** A session ended elsewhere (logout in another tab, revoked by an admin) is noticed within seconds. */
function watchSession(on: boolean) {
  if (sessionPoll) clearInterval(sessionPoll);
  sessionPoll = on ? setInterval(() => void api.GET('/api/v1/me').catch(() => undefined), 10_000) : null;
}

export const authSlice: StateCreator<SessionState, [], [], AuthSlice> = (set, get) => {
  async function startSession(me: Operator) {
    const [prefs, accounts] = await Promise.all([get().loadPrefs(), get().loadAccounts()]);
    await applyLanguage(prefs);
    // Features subscribed to this store reset their state for the new session in this `set`,
    // before the stream starts.
    set({ me, prefs, accounts, auth: 'ready' });
    setSessionEndedHandler(() => get().sessionEnded());
    get().startStream();
    watchSession(true);
  }

  return {
    auth: 'loading',
    me: null,

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
      await startSession(r.operator);
    },

    async logout() {
      watchSession(false);
      get().stopStream();
      setSessionEndedHandler(null);
      await api.POST('/api/v1/auth/logout').catch(() => undefined);
      set({ auth: 'login', me: null });
    },

    sessionEnded() {
      if (get().auth !== 'ready') return;
      watchSession(false);
      get().stopStream();
      set({ auth: 'expired' });
    },
  };
};

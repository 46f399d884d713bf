// The signed-in operator's session, shared by every part of the app: one zustand store composed of
// slices — `auth` (sign-in state and the operator), `prefs` (their preferences, kept on the server),
// `accounts` (the channel accounts) and `connection` (the realtime stream and its state).
//
// Features keep their own stores (the inbox's is `inbox/store`) and follow this one: they
// subscribe to it for the session starting or ending and for preference changes, and to the stream
// through `listenToStream`. So a new section (admin/…) adds its store without touching the
// messenger's, and nothing here knows what the features do with the events.
import { create } from 'zustand';
import { accountsSlice, type AccountsSlice } from './accounts';
import { authSlice, type AuthSlice } from './auth';
import { connectionSlice, type ConnectionSlice } from './connection';
import { prefsSlice, type PrefsSlice } from './prefs';

export type SessionState = AuthSlice & PrefsSlice & AccountsSlice & ConnectionSlice;

export const useSession = create<SessionState>()((...a) => ({
  ...authSlice(...a),
  ...prefsSlice(...a),
  ...accountsSlice(...a),
  ...connectionSlice(...a),
}));

export type { AuthState } from './auth';
export { listenToStream, type StreamListener } from './connection';

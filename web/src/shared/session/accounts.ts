// The channel accounts (Avito, API, voice lines) the operator's conversations come from.
import type { StateCreator } from 'zustand';
import { api, unwrap } from '../api/client';
import type { Account } from '../api/types';
import type { SessionState } from './store';

export interface AccountsSlice {
  accounts: Account[];
  /** Loaded when a session starts; an account list that cannot be loaded is empty, never an error. */
  loadAccounts(): Promise<Account[]>;
}

export const accountsSlice: StateCreator<SessionState, [], [], AccountsSlice> = () => ({
  accounts: [],
  loadAccounts: () => unwrap<Account[]>(api.GET('/api/v1/accounts')).catch((): Account[] => []),
});

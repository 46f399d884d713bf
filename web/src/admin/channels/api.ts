// The «Каналы» section's calls: accounts of every kind, Avito's connection, webhook and imports,
// and the inbound tokens of API accounts and voice lines.
import { api, unwrap } from '../../shared/api/client';
import type { components } from '../../shared/api/schema';
import type { Account } from '../../shared/api/types';

type S = components['schemas'];
export type ConnectAvitoRequest = S['ConnectAvitoRequest'];
export type ConnectedAvito = S['ConnectedAvito'];
export type WebhookHealth = S['WebhookHealth'];
export type SyncStats = S['SyncStats'];
export type AccountWithToken = S['AccountWithToken'];
export type CreateAccountRequest = S['CreateAccountRequest'];

const path = (id: number) => ({ params: { path: { id } } });

export const listAccounts = () => unwrap<Account[]>(api.GET('/api/v1/accounts'));
export const connectAvito = (body: ConnectAvitoRequest) => unwrap(api.POST('/api/v1/avito/accounts', { body }));
export const createAccount = (body: CreateAccountRequest) => unwrap(api.POST('/api/v1/accounts', { body }));
export const setEnabled = (id: number, enabled: boolean) => unwrap(api.PATCH('/api/v1/accounts/{id}', { ...path(id), body: { enabled } }));
export const setCallbackUrl = (id: number, url: string) => unwrap(api.PATCH('/api/v1/accounts/{id}', { ...path(id), body: { callback_url: url } }));
export const deleteAccount = (id: number) => unwrap(api.DELETE('/api/v1/accounts/{id}', path(id)));
export const rotateToken = (id: number) => unwrap(api.POST('/api/v1/accounts/{id}/rotate-token', path(id)));
/** Unsubscribes the webhook and disables the account; its conversations stay. */
export const disconnectAvito = (id: number) => unwrap(api.DELETE('/api/v1/avito/accounts/{id}', path(id)));
export const webhookHealth = (id: number) => unwrap(api.GET('/api/v1/avito/accounts/{id}/webhook', path(id)));
export const resubscribe = (id: number) => unwrap(api.POST('/api/v1/avito/accounts/{id}/webhook', path(id)));
export const syncAvito = (id: number) => unwrap(api.POST('/api/v1/avito/accounts/{id}/sync', path(id)));
export const pollAvito = (id: number) => unwrap(api.POST('/api/v1/avito/accounts/{id}/poll', path(id)));
export type AvitoAccountStatus = S['AvitoAccountStatus'];
/** Ids, token, last webhook/sync/poll and the newest error, as this server saw them since it started. */
export const avitoStatus = (id: number) => unwrap(api.GET('/api/v1/avito/accounts/{id}/status', path(id)));
/** A voice line's new settings; without `transfer` the line keeps its transfer, `null` removes it. */
export const setLineSettings = (id: number, settings: Record<string, unknown>) =>
  // The schema says only "an object" (utoipa's Object renders as a record of nothing).
  unwrap(api.PATCH('/api/v1/accounts/{id}', { ...path(id), body: { settings: settings as S['UpdateAccountRequest']['settings'] } }));

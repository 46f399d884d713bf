// Connecting an Avito account: what the form checks before the server does (the same rules as the
// server's), and where the server's refusal belongs — Avito's «invalid_client» is about the secret
// the admin typed next to the client id, so it is shown at the secret.
import type { FieldErrors, PlacedError } from '../forms/fieldErrors';
import { placeError } from '../forms/fieldErrors';
import type { ConnectAvitoRequest } from './api';

export const AVITO_FIELDS = ['name', 'user_id', 'client_id', 'client_secret'] as const;
export type AvitoField = (typeof AVITO_FIELDS)[number];
export type AvitoDraft = Record<AvitoField, string>;

export const emptyAvitoDraft = (): AvitoDraft => ({ name: '', user_id: '', client_id: '', client_secret: '' });

type T = (key: string, options?: Record<string, unknown>) => string;

/** The request, or the errors of the fields that would make the server refuse it. */
export function checkAvitoDraft(d: AvitoDraft, t: T): { request: ConnectAvitoRequest } | { errors: FieldErrors<AvitoField> } {
  const errors: FieldErrors<AvitoField> = {};
  const name = d.name.trim();
  if (!name) errors.name = t('adminForms.required');
  else if ([...name].length > 200) errors.name = t('adminForms.tooLong', { max: 200 });
  const userId = d.user_id.trim();
  if (!userId) errors.user_id = t('adminForms.required');
  else if (!/^\d{1,15}$/.test(userId) || Number(userId) <= 0) errors.user_id = t('channels.avito.userIdNumber');
  if (!d.client_id.trim()) errors.client_id = t('adminForms.required');
  if (!d.client_secret.trim()) errors.client_secret = t('adminForms.required');
  if (Object.keys(errors).length) return { errors };
  return { request: { name, user_id: Number(userId), client_id: d.client_id.trim(), client_secret: d.client_secret.trim() } };
}

/** The server's refusal of a connection, at its field. */
export const placeConnectError = (e: unknown): PlacedError<AvitoField> =>
  placeError(e, AVITO_FIELDS, { avito_credentials_rejected: 'client_secret' });

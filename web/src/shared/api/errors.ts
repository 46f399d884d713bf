// What an operator reads when a call fails: the server's stable error code translated, else its
// message, else a generic line.
import i18n from '../i18n';
import { ApiError } from './client';

export function errorText(e: unknown): string {
  if (e instanceof ApiError) {
    const key = `errors.${e.code}`;
    return i18n.exists(key) ? i18n.t(key) : e.message || i18n.t('errors.generic');
  }
  return i18n.t('errors.generic');
}

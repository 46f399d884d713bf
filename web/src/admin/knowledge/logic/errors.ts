// What the knowledge screens say when a call fails: the error code in the UI language (the
// section's own codes first, then the app's), followed by the server's own explanation when it
// says more than the code does — which field, which line of a file, which table was missing.
import i18n from '../../../shared/i18n';
import { ApiError } from '../../../shared/api/client';

/** Codes whose message only restates them (no detail to add). */
const BARE = new Set(['network', 'unauthorized', 'forbidden', 'internal', 'too_many_requests']);

export function kbErrorText(e: unknown): string {
  if (!(e instanceof ApiError)) return i18n.t('errors.generic');
  const own = `kb.errors.${e.code}`;
  const app = `errors.${e.code}`;
  const said = i18n.exists(own) ? i18n.t(own) : i18n.exists(app) ? i18n.t(app) : '';
  const detail = BARE.has(e.code) ? '' : [e.field && !e.message.includes(e.field) ? `${e.field}:` : '', e.message].filter(Boolean).join(' ');
  if (said && detail) return `${said} (${detail})`;
  return said || detail || i18n.t('errors.generic');
}

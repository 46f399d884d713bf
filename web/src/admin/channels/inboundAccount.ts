// Creating an API account (a site or app posting its customers' messages to frontline) or a
// voice line: the same checks the server makes, before the request.
import type { FieldErrors } from '../forms/fieldErrors';
import type { CreateAccountRequest } from './api';

export const INBOUND_FIELDS = ['name', 'callback_url'] as const;
export type InboundField = (typeof INBOUND_FIELDS)[number];
export interface InboundDraft {
  kind: 'api' | 'voice';
  name: string;
  callback_url: string;
}

/** As the server's `is_http_url`: http(s), something after the scheme, at most 2048 bytes. */
export function isHttpUrl(url: string): boolean {
  const rest = url.startsWith('https://') ? url.slice(8) : url.startsWith('http://') ? url.slice(7) : null;
  return rest !== null && rest.length > 0 && new TextEncoder().encode(url).length <= 2048;
}

type T = (key: string, options?: Record<string, unknown>) => string;

export function checkInboundDraft(d: InboundDraft, t: T): { request: CreateAccountRequest } | { errors: FieldErrors<InboundField> } {
  const errors: FieldErrors<InboundField> = {};
  const name = d.name.trim();
  if (!name) errors.name = t('adminForms.required');
  else if ([...name].length > 200) errors.name = t('adminForms.tooLong', { max: 200 });
  const url = d.kind === 'api' ? d.callback_url.trim() : '';
  if (url && !isHttpUrl(url)) errors.callback_url = t('channels.api.urlInvalid');
  if (Object.keys(errors).length) return { errors };
  return { request: { kind: d.kind, name, ...(url ? { callback_url: url } : {}) } };
}

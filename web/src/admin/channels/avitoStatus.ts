// An Avito account's status as the card shows it: each line a label key, its tone and the values
// for its text. The figures are what this server saw since it started (`since`); the card says so.
import type { AvitoAccountStatus } from './api';

export type Tone = 'ok' | 'warn' | 'bad' | 'none';

export interface StatusLine {
  /** `channels.status.<key>` in the translations. */
  key: 'token' | 'webhook' | 'sync' | 'poll' | 'error';
  /** Which text of that key: `channels.status.<key>.<variant>`. */
  variant: string;
  tone: Tone;
  values: Record<string, string | number>;
}

/** The lines of the status block, in the order shown. `fmt` formats an ISO time. */
export function statusLines(s: AvitoAccountStatus, fmt: (iso: string) => string): StatusLine[] {
  const lines: StatusLine[] = [];
  const tok = s.token;
  const tokenTone: Record<string, Tone> = { valid: 'ok', expired: 'warn', failing: 'bad', none: 'none' };
  lines.push({
    key: 'token',
    variant: tok.state in tokenTone ? tok.state : 'none',
    tone: tokenTone[tok.state] ?? 'none',
    values: { until: tok.expires_at ? fmt(tok.expires_at) : '', error: tok.last_error ?? '', at: tok.last_error_at ? fmt(tok.last_error_at) : '' },
  });
  lines.push(s.last_webhook_at ? { key: 'webhook', variant: 'seen', tone: 'ok', values: { at: fmt(s.last_webhook_at) } } : { key: 'webhook', variant: 'never', tone: 'none', values: {} });
  const sync = s.last_sync;
  if (!sync) lines.push({ key: 'sync', variant: 'never', tone: 'none', values: {} });
  else if (sync.ok && sync.stats)
    lines.push({ key: 'sync', variant: 'ok', tone: 'ok', values: { at: fmt(sync.at), chats: sync.stats.chats, created: sync.stats.messages_created } });
  else lines.push({ key: 'sync', variant: 'failed', tone: 'bad', values: { at: fmt(sync.at), error: sync.error ?? '' } });
  const poll = s.last_poll;
  if (!poll) lines.push({ key: 'poll', variant: 'never', tone: 'none', values: {} });
  else if (poll.ok) lines.push({ key: 'poll', variant: 'ok', tone: 'ok', values: { at: fmt(poll.at), count: poll.recovered ?? 0 } });
  else lines.push({ key: 'poll', variant: 'failed', tone: 'bad', values: { at: fmt(poll.at), error: poll.error ?? '' } });
  if (s.last_error) lines.push({ key: 'error', variant: s.last_error.during, tone: 'bad', values: { at: fmt(s.last_error.at), error: s.last_error.message } });
  return lines;
}

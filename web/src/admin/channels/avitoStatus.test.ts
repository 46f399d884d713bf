import { describe, expect, it } from 'vitest';
import type { AvitoAccountStatus } from './api';
import { statusLines } from './avitoStatus';

const base: AvitoAccountStatus = {
  user_id: 7000001,
  client_id: 'client-1',
  connected_at: '2026-12-04T10:00:00.000Z',
  has_refresh_token: false,
  token: { state: 'none', requests: 0 },
  since: '2026-12-04T09:00:00.000Z',
};
const fmt = (iso: string) => `@${iso.slice(11, 16)}`;

describe("an Avito account's status", () => {
  it('before any work: no token yet, nothing seen, no error line', () => {
    const lines = statusLines(base, fmt);
    expect(lines.map((l) => [l.key, l.variant, l.tone])).toEqual([
      ['token', 'none', 'none'],
      ['webhook', 'never', 'none'],
      ['sync', 'never', 'none'],
      ['poll', 'never', 'none'],
    ]);
  });

  it('a working account: token valid until its expiry, the last sync and poll with their counts', () => {
    const lines = statusLines(
      {
        ...base,
        token: { state: 'valid', expires_at: '2026-12-05T10:00:00.000Z', issued_at: '2026-12-04T10:00:00.000Z', requests: 1 },
        last_webhook_at: '2026-12-04T10:05:00.000Z',
        last_sync: { at: '2026-12-04T10:01:00.000Z', ok: true, stats: { chats: 12, messages_created: 40, messages_skipped: 0, conversations_created: 12 } },
        last_poll: { at: '2026-12-04T10:02:00.000Z', ok: true, recovered: 2 },
      },
      fmt,
    );
    expect(lines[0]).toMatchObject({ variant: 'valid', tone: 'ok', values: { until: '@10:00' } });
    expect(lines[1]).toMatchObject({ variant: 'seen', values: { at: '@10:05' } });
    expect(lines[2]).toMatchObject({ variant: 'ok', values: { chats: 12, created: 40 } });
    expect(lines[3]).toMatchObject({ variant: 'ok', values: { count: 2 } });
    expect(lines).toHaveLength(4);
  });

  it('failures: the token, the poll and the newest error with the work it came from', () => {
    const lines = statusLines(
      {
        ...base,
        token: { state: 'failing', last_error: 'Avito rejected the credentials', last_error_at: '2026-12-04T10:03:00.000Z', requests: 2 },
        last_poll: { at: '2026-12-04T10:04:00.000Z', ok: false, error: 'Avito answered 503' },
        last_error: { at: '2026-12-04T10:04:00.000Z', during: 'poll', message: 'Avito answered 503' },
      },
      fmt,
    );
    expect(lines[0]).toMatchObject({ variant: 'failing', tone: 'bad', values: { error: 'Avito rejected the credentials' } });
    expect(lines[3]).toMatchObject({ key: 'poll', variant: 'failed', tone: 'bad' });
    expect(lines[4]).toMatchObject({ key: 'error', variant: 'poll', values: { error: 'Avito answered 503' } });
  });
});

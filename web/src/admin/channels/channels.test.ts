import { describe, expect, it } from 'vitest';
import i18n from '../../shared/i18n';
import type { Account } from '../../shared/api/types';
import { accountsByKind, inboundEndpoint, replaceAccount, webhookVerdict } from './accounts';
import { checkInboundDraft, isHttpUrl } from './inboundAccount';

const t = i18n.t.bind(i18n) as (k: string, o?: Record<string, unknown>) => string;
const acc = (id: number, kind: Account['kind'], over: Partial<Account> = {}): Account => ({
  id,
  kind,
  name: `#${id}`,
  enabled: true,
  callback_url: null,
  has_inbound_token: kind !== 'avito',
  created_at: '2026-11-20T10:00:00Z',
  ...over,
});

describe('the accounts of the «Каналы» section', () => {
  it('are listed by kind in the order they were connected', () => {
    const g = accountsByKind([acc(3, 'api'), acc(2, 'avito'), acc(1, 'avito'), acc(4, 'voice')]);
    expect(g.avito.map((a) => a.id)).toEqual([1, 2]);
    expect(g.api.map((a) => a.id)).toEqual([3]);
    expect(g.voice.map((a) => a.id)).toEqual([4]);
  });

  it('a changed account replaces the old one in place; a new one is appended', () => {
    const list = [acc(1, 'avito'), acc(2, 'api')];
    expect(replaceAccount(list, acc(1, 'avito', { enabled: false })).map((a) => [a.id, a.enabled])).toEqual([
      [1, false],
      [2, true],
    ]);
    expect(replaceAccount(list, acc(5, 'api')).map((a) => a.id)).toEqual([1, 2, 5]);
  });

  it('the webhook verdict tells ours from the other URLs Avito delivers to', () => {
    const h = {
      subscribed: true,
      pending_deliveries: 2,
      subscriptions: [{ url: 'https://shop.example/api/v1/webhooks/avito/7/abc' }, { url: 'https://old.example/hook' }],
    };
    expect(webhookVerdict(h, 7)).toEqual({ state: 'subscribed', pending: 2, others: ['https://old.example/hook'] });
    expect(webhookVerdict({ subscribed: false, pending_deliveries: 0, subscriptions: [] }, 7)).toEqual({ state: 'missing', pending: 0, others: [] });
  });

  it('the inbound endpoint of an API account', () => {
    expect(inboundEndpoint('https://support.example/', 12)).toBe('https://support.example/api/v1/inbound/12/messages');
  });
});

describe('a new API account or voice line', () => {
  it('URLs as the server accepts them', () => {
    expect(isHttpUrl('https://crm.example/hook')).toBe(true);
    expect(isHttpUrl('http://x')).toBe(true);
    expect(isHttpUrl('https://')).toBe(false);
    expect(isHttpUrl('ftp://crm.example')).toBe(false);
    expect(isHttpUrl('crm.example/hook')).toBe(false);
    expect(isHttpUrl('https://' + 'a'.repeat(2041))).toBe(false);
  });

  it('needs a name; a callback URL must be http(s)', () => {
    expect(checkInboundDraft({ kind: 'api', name: ' ', callback_url: 'crm' }, t)).toEqual({
      errors: { name: 'Обязательное поле', callback_url: 'Адрес должен начинаться с http:// или https://' },
    });
  });

  it('becomes the request: the callback only for API accounts, left out when empty', () => {
    expect(checkInboundDraft({ kind: 'api', name: ' Сайт ', callback_url: ' https://crm.example/hook ' }, t)).toEqual({
      request: { kind: 'api', name: 'Сайт', callback_url: 'https://crm.example/hook' },
    });
    expect(checkInboundDraft({ kind: 'api', name: 'Сайт', callback_url: '' }, t)).toEqual({ request: { kind: 'api', name: 'Сайт' } });
    expect(checkInboundDraft({ kind: 'voice', name: 'Линия', callback_url: 'junk' }, t)).toEqual({ request: { kind: 'voice', name: 'Линия' } });
  });
});

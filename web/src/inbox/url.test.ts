import { describe, expect, it } from 'vitest';
import { conversationPathFrom, inboxPath, resolveInboxUrl, tabsFor, type InboxUrl } from './url';

const ok = (url: Partial<InboxUrl>) => ({ kind: 'ok', url: { tab: 'mine', conversationId: null, q: '', by: null, ...url } });
const redirect = (to: string) => ({ kind: 'redirect' as const, to });

describe('inbox URL', () => {
  it('names the tab, the open conversation and the search', () => {
    expect(resolveInboxUrl({ tab: 'bot' }, '', 'operator')).toEqual(ok({ tab: 'bot' }));
    expect(resolveInboxUrl({ tab: 'mine', conversationId: '42' }, '', 'operator')).toEqual(ok({ conversationId: 42 }));
    expect(resolveInboxUrl({ tab: 'all', conversationId: '7' }, '?q=%D0%B7%D0%B0%D0%BA%D0%B0%D0%B7+%E2%84%96&by=operator', 'admin')).toEqual(
      ok({ tab: 'all', conversationId: 7, q: 'заказ №', by: 'operator' }),
    );
    // The search box as typed: spaces stay.
    expect(resolveInboxUrl({ tab: 'bot' }, '?q=+%D0%B0+', 'operator')).toEqual(ok({ tab: 'bot', q: ' а ' }));
  });

  it('builds what it parses, with the search text encoded', () => {
    const urls: InboxUrl[] = [
      { tab: 'mine', conversationId: null, q: '', by: null },
      { tab: 'bot', conversationId: 12, q: '', by: null },
      { tab: 'all', conversationId: 3, q: 'где мой заказ? #1 & 2', by: 'bot' },
      { tab: 'mine', conversationId: null, q: '  самокат', by: 'operator' },
    ];
    for (const u of urls) {
      const path = inboxPath(u);
      const [pathname, search = ''] = path.split('?');
      const [, , tab, conversationId] = pathname!.split('/');
      expect(resolveInboxUrl({ tab, conversationId }, search, 'admin'), path).toEqual({ kind: 'ok', url: u });
    }
    expect(inboxPath({ tab: 'mine', conversationId: 5, q: 'a b', by: 'bot' })).toBe('/inbox/mine/5?q=a+b&by=bot');
    // A filter without a search is not part of the URL.
    expect(inboxPath({ tab: 'mine', q: '', by: 'bot' })).toBe('/inbox/mine');
  });

  it('«Все» is for admins: an operator is sent to «Мои», keeping the rest', () => {
    expect(tabsFor('admin')).toEqual(['bot', 'mine', 'all']);
    expect(tabsFor('operator')).toEqual(['bot', 'mine']);
    expect(resolveInboxUrl({ tab: 'all', conversationId: '9' }, '?q=x', 'operator')).toEqual(redirect('/inbox/mine/9?q=x'));
  });

  it('redirects what is not an inbox URL to the nearest one', () => {
    expect(resolveInboxUrl({ tab: 'inbox' }, '', 'admin')).toEqual(redirect('/inbox/mine'));
    expect(resolveInboxUrl({ tab: 'bot', conversationId: 'abc' }, '?q=ok', 'admin')).toEqual(redirect('/inbox/bot?q=ok'));
    expect(resolveInboxUrl({ tab: 'bot', conversationId: '0' }, '', 'admin')).toEqual(redirect('/inbox/bot'));
    expect(resolveInboxUrl({ tab: 'bot', conversationId: '99999999999999999999' }, '', 'admin')).toEqual(redirect('/inbox/bot'));
    expect(resolveInboxUrl({ tab: 'bot', conversationId: '-1' }, '', 'admin')).toEqual(redirect('/inbox/bot'));
    expect(resolveInboxUrl({ tab: 'bot' }, '?q=x&by=robot', 'admin')).toEqual(redirect('/inbox/bot?q=x'));
    expect(resolveInboxUrl({ tab: 'bot' }, '?by=bot', 'admin')).toEqual(redirect('/inbox/bot'));
    // A redirect target is itself clean: no redirect loop.
    const to = (resolveInboxUrl({ tab: 'all', conversationId: 'x' }, '?q=y&by=z', 'operator') as { to: string }).to;
    const [pathname, search] = to.split('?');
    const [, , tab, conversationId] = pathname!.split('/');
    expect(resolveInboxUrl({ tab, conversationId }, search ?? '', 'operator').kind).toBe('ok');
  });

  it('a notification opens its conversation in the inbox as it is, or in «Мои» from elsewhere', () => {
    const here = resolveInboxUrl({ tab: 'bot', conversationId: '1' }, '?q=a&by=bot', 'admin');
    expect(conversationPathFrom(here, 8)).toBe('/inbox/bot/8?q=a&by=bot');
    expect(conversationPathFrom(null, 8)).toBe('/inbox/mine/8');
    expect(conversationPathFrom(redirect('/inbox/mine'), 8)).toBe('/inbox/mine/8');
  });
});

// The list side of the messenger: the header, the search box, the tabs with their unread counts
// and «Аккаунты (N)», then the tab's list or, while searching, the search results. The tab and
// the search are the URL's (useInboxUrl), so they survive a reload and move with back/forward.
import { memo, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useSession } from '../../shared/session/store';
import { useInbox } from '../store';
import { useInboxNav, useInboxUrl } from '../InboxUrl';
import { tabsFor } from '../url';
import { AccountsPanel } from './AccountsPanel';
import { ChatList } from './ChatList';
import { unreadByTab } from './conversations';
import { HeaderControls } from './HeaderControls';
import { SearchResults } from './SearchResults';

export const ConnectionStatus = memo(function ConnectionStatus() {
  const { t } = useTranslation();
  const state = useSession((s) => s.connection);
  return (
    <span className={'conn conn-' + state} data-testid="connection-status" data-state={state} title={t('connection.' + state)} role="status">
      <span className="dot" />
      <span className="conn-text">{t('connection.' + state)}</span>
    </span>
  );
});

export function Sidebar() {
  const { t } = useTranslation();
  const { tab, q } = useInboxUrl();
  const nav = useInboxNav();
  const me = useSession((s) => s.me);
  const accounts = useSession((s) => s.accounts);
  const hidden = useSession((s) => s.prefs.hidden_account_ids);
  const conversations = useInbox((s) => s.conversations);
  const [accountsOpen, setAccountsOpen] = useState(false);
  const searching = q.trim().length > 0;
  const tabs = useMemo(() => tabsFor(me?.role), [me?.role]);
  const unread = useMemo(() => unreadByTab(conversations, tabs, me?.id ?? -1, new Set(hidden)), [conversations, tabs, me?.id, hidden]);
  const visibleCount = accounts.filter((a) => !hidden.includes(a.id)).length;

  return (
    <aside className="sidebar">
      <div className="sidebar-head">
        <span className="brand">{t('app.title')}</span>
        <ConnectionStatus />
        <HeaderControls />
      </div>
      <div className="search-box">
        <input
          type="search"
          data-testid="search-input"
          placeholder={t('search.placeholder')}
          value={q}
          onChange={(e) => nav.setSearch(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Escape') {
              nav.setSearch('');
              e.currentTarget.blur();
            }
          }}
        />
        {q && (
          <button type="button" className="clear-btn" aria-label={t('search.clear')} onClick={() => nav.setSearch('')}>
            ×
          </button>
        )}
      </div>
      {!searching && (
        <div className="tabs-row">
          <div className="tabs" role="tablist">
            {tabs.map((tb) => (
              <button
                key={tb}
                type="button"
                role="tab"
                data-testid={'tab-' + tb}
                aria-selected={tab === tb ? 'true' : 'false'}
                className={'tab' + (tab === tb ? ' selected' : '')}
                onClick={() => nav.setTab(tb)}
              >
                {t('tabs.' + tb)}
                {unread[tb] > 0 && <span className="tab-count">{unread[tb]}</span>}
              </button>
            ))}
          </div>
          <button type="button" className="accounts-btn" data-testid="accounts-button" onClick={() => setAccountsOpen((o) => !o)}>
            {t('accounts.button', { count: visibleCount })}
          </button>
        </div>
      )}
      {accountsOpen && !searching && <AccountsPanel onClose={() => setAccountsOpen(false)} />}
      {searching ? <SearchResults /> : <ChatList />}
    </aside>
  );
}

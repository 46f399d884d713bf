import { BellIcon, BellOffIcon, SpeakerIcon, SpeakerOffIcon } from '../../shared/ui/Icons';
import { useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useApp } from '../../store';
import { tabView, type Tab } from './conversations';
import { ChatList } from './ChatList';
import { SearchResults } from './SearchResults';

export function ConnectionStatus() {
  const { t } = useTranslation();
  const state = useApp((s) => s.connection);
  return (
    <span className={'conn conn-' + state} data-testid="connection-status" data-state={state} title={t('connection.' + state)} role="status">
      <span className="dot" />
      <span className="conn-text">{t('connection.' + state)}</span>
    </span>
  );
}

function HeaderControls() {
  const { t, i18n } = useTranslation();
  const sound = useApp((s) => s.prefs.sound);
  const savePrefs = useApp((s) => s.savePrefs);
  const supported = typeof Notification !== 'undefined';
  const [perm, setPerm] = useState<NotificationPermission>(supported ? Notification.permission : 'denied');
  const notifyOn = perm === 'granted';
  // The permission may change in the browser's site settings while the app is open.
  useEffect(() => {
    if (!supported || !navigator.permissions?.query) return;
    let status: PermissionStatus | null = null;
    const sync = () => setPerm(Notification.permission);
    navigator.permissions
      .query({ name: 'notifications' })
      .then((s) => {
        status = s;
        s.addEventListener('change', sync);
      })
      .catch(() => undefined);
    return () => status?.removeEventListener('change', sync);
  }, [supported]);
  const lang = i18n.language === 'en' ? 'en' : 'ru';
  return (
    <div className="header-controls">
      <button
        type="button"
        className="icon-btn"
        data-testid="sound-toggle"
        aria-pressed={sound ? 'true' : 'false'}
        title={t(sound ? 'header.soundOn' : 'header.soundOff')}
        aria-label={t(sound ? 'header.soundOn' : 'header.soundOff')}
        onClick={() => void savePrefs({ sound: !sound })}
      >
        {sound ? <SpeakerIcon /> : <SpeakerOffIcon />}
      </button>
      <button
        type="button"
        className={'icon-btn notify-' + perm}
        data-testid="notifications-button"
        data-permission={perm}
        aria-pressed={notifyOn ? 'true' : 'false'}
        title={t(perm === 'granted' ? 'header.notificationsOnHint' : perm === 'denied' ? 'header.notificationsDenied' : 'header.notificationsAsk')}
        aria-label={t(notifyOn ? 'header.notificationsOn' : 'header.notificationsOff')}
        disabled={!supported}
        onClick={() => {
          if (!supported || perm !== 'default') return;
          void Notification.requestPermission().then(setPerm);
        }}
      >
        {notifyOn ? <BellIcon /> : <BellOffIcon />}
      </button>
      <button
        type="button"
        className="text-btn"
        data-testid="language-switch"
        title={t('header.language')}
        onClick={() => void savePrefs({ language: lang === 'ru' ? 'en' : 'ru' })}
      >
        {lang === 'ru' ? 'EN' : 'RU'}
      </button>
      <button type="button" className="text-btn" data-testid="logout-button" onClick={() => void useApp.getState().logout()}>
        {t('header.logout')}
      </button>
    </div>
  );
}

function AccountsPanel(props: { onClose: () => void }) {
  const { t } = useTranslation();
  const accounts = useApp((s) => s.accounts);
  const hidden = useApp((s) => s.prefs.hidden_account_ids);
  const savePrefs = useApp((s) => s.savePrefs);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && props.onClose();
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [props]);
  return (
    <div className="accounts-panel" data-testid="accounts-panel" role="dialog" aria-label={t('accounts.title')}>
      <div className="panel-head">
        <strong>{t('accounts.title')}</strong>
        <button type="button" className="text-btn" onClick={props.onClose}>
          {t('accounts.close')}
        </button>
      </div>
      {accounts.map((a) => {
        const checked = !hidden.includes(a.id);
        return (
          <label key={a.id} className="account-item">
            <input
              type="checkbox"
              data-testid="account-checkbox"
              data-account-id={a.id}
              checked={checked}
              onChange={() => {
                const next = checked ? [...hidden, a.id] : hidden.filter((x) => x !== a.id);
                void savePrefs({ hidden_account_ids: next });
              }}
            />
            <span className="account-name">{a.name}</span>
            <span className="account-kind">{t('accounts.kind.' + a.kind)}</span>
          </label>
        );
      })}
    </div>
  );
}

function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const id = setTimeout(() => setV(value), ms);
    return () => clearTimeout(id);
  }, [value, ms]);
  return v;
}

export function Sidebar() {
  const { t } = useTranslation();
  const me = useApp((s) => s.me);
  const tab = useApp((s) => s.tab);
  const accounts = useApp((s) => s.accounts);
  const hidden = useApp((s) => s.prefs.hidden_account_ids);
  const conversations = useApp((s) => s.conversations);
  const [query, setQuery] = useState('');
  const [accountsOpen, setAccountsOpen] = useState(false);
  const debounced = useDebounced(query.trim(), 250);
  const searching = query.trim().length > 0;
  const tabs: Tab[] = me?.role === 'admin' ? ['bot', 'mine', 'all'] : ['bot', 'mine'];
  const unreadByTab = useMemo(() => {
    const hiddenSet = new Set(hidden);
    const out: Record<string, number> = {};
    for (const tb of tabs) out[tb] = tabView(conversations, tb, me?.id ?? -1, hiddenSet).filter((c) => c.unread_count > 0).length;
    return out;
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [conversations, hidden, me, tabs.length]);
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
          value={query}
          onChange={(e) => setQuery(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Escape') {
              setQuery('');
              e.currentTarget.blur();
            }
          }}
        />
        {query && (
          <button type="button" className="clear-btn" aria-label={t('search.clear')} onClick={() => setQuery('')}>
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
                onClick={() => useApp.getState().setTab(tb)}
              >
                {t('tabs.' + tb)}
                {(unreadByTab[tb] ?? 0) > 0 && <span className="tab-count">{unreadByTab[tb]}</span>}
              </button>
            ))}
          </div>
          <button type="button" className="accounts-btn" data-testid="accounts-button" onClick={() => setAccountsOpen((o) => !o)}>
            {t('accounts.button', { count: visibleCount })}
          </button>
        </div>
      )}
      {accountsOpen && !searching && <AccountsPanel onClose={() => setAccountsOpen(false)} />}
      {searching ? <SearchResults query={debounced} raw={query.trim()} /> : <ChatList />}
    </aside>
  );
}

import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useApp } from '../store';
import { Login, SessionExpired } from './Login';
import { Sidebar } from '../inbox/list/Sidebar';
import { ChatWindow, InfoPanel } from '../inbox/chat/ChatWindow';
import { preloadSound, setNotificationOpenHandler } from '../inbox/alerts/notify';

function useMedia(query: string): boolean {
  const [match, setMatch] = useState(() => typeof window.matchMedia === 'function' && window.matchMedia(query).matches);
  useEffect(() => {
    if (typeof window.matchMedia !== 'function') return;
    const mq = window.matchMedia(query);
    const on = () => setMatch(mq.matches);
    on();
    mq.addEventListener('change', on);
    return () => mq.removeEventListener('change', on);
  }, [query]);
  return match;
}

export function App() {
  const { t } = useTranslation();
  const auth = useApp((s) => s.auth);
  const activeId = useApp((s) => s.activeId);
  const [relogin, setRelogin] = useState(false);
  const phone = useMedia('(max-width: 767px)');
  const wide = useMedia('(min-width: 1280px)');

  useEffect(() => {
    preloadSound();
    setNotificationOpenHandler((id) => void useApp.getState().openChat(id));
    void useApp.getState().boot();
  }, []);

  useEffect(() => {
    if (auth === 'ready') setRelogin(false);
  }, [auth]);

  // Back on the tab: what is open has been read.
  useEffect(() => {
    const on = () => {
      const id = useApp.getState().activeId;
      if (document.visibilityState === 'visible' && id != null) useApp.getState().markRead(id);
    };
    document.addEventListener('visibilitychange', on);
    return () => document.removeEventListener('visibilitychange', on);
  }, []);

  if (auth === 'loading') return <div className="splash">{t('list.loading')}</div>;
  if (auth === 'login' || (auth === 'expired' && relogin)) return <Login />;
  if (auth === 'expired') return <SessionExpired onRelogin={() => setRelogin(true)} />;

  const showList = !phone || activeId == null;
  const showChat = !phone || activeId != null;
  return (
    <div className={'layout' + (phone ? ' phone' : '') + (wide ? ' wide' : '')}>
      {showList && <Sidebar />}
      {showChat && (
        <main className="chat-area">
          <ChatWindow phone={phone} cardsInline={!wide} />
        </main>
      )}
      {wide && activeId != null && <InfoPanel />}
    </div>
  );
}

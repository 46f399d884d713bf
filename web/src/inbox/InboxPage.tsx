// The messenger: the list (tabs, search, accounts) beside the open chat, with the listing and
// customer cards on the right on wide screens. On a phone the list and the chat are separate views:
// the URL decides which, so the browser's back button returns from the chat to the list.
import { useEffect } from 'react';
import { useMedia } from '../shared/ui/useMedia';
import { ChatWindow, InfoPanel } from './chat/ChatWindow';
import { InboxUrlProvider } from './InboxUrl';
import { Sidebar } from './list/Sidebar';
import { useInbox } from './store';

export function InboxPage() {
  return (
    <InboxUrlProvider>
      <InboxLayout />
    </InboxUrlProvider>
  );
}

function InboxLayout() {
  const activeId = useInbox((s) => s.activeId);
  const phone = useMedia('(max-width: 767px)');
  const wide = useMedia('(min-width: 1280px)');

  // Back on the browser tab: what is open has been read.
  useEffect(() => {
    const on = () => {
      const id = useInbox.getState().activeId;
      if (document.visibilityState === 'visible' && id != null) useInbox.getState().markRead(id);
    };
    document.addEventListener('visibilitychange', on);
    return () => document.removeEventListener('visibilitychange', on);
  }, []);

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

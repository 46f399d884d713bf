// The bridge between the router and the inbox. It reads the URL once, for the whole inbox: it
// redirects what is not an inbox URL, mirrors the rest into the store (`followUrl`, before the
// children's effects run, so the first paint already shows the right tab and chat), and gives the
// screens the parsed URL (`useInboxUrl`) and the ways to change it (`useInboxNav`).
//
// The navigation functions are stable and read the current URL from a ref: a list row or the chat
// window can navigate without re-rendering on every URL change (typing in the search box is one).
import { createContext, useContext, useLayoutEffect, useMemo, useRef, type ReactNode } from 'react';
import { Navigate, useLocation, useNavigate, useParams } from 'react-router';
import type { SearchHit } from '../shared/api/types';
import { useSession } from '../shared/session/store';
import type { Tab } from './list/conversations';
import { useInbox } from './store';
import { inboxPath, resolveInboxUrl, type InboxUrl, type SearchLead } from './url';

export interface InboxNav {
  /** From the list: a history entry, so «back» (and the phone's back button) returns to the list. */
  openConversation(id: number): void;
  /** From the search: the conversation, scrolled to the message found. */
  openSearchHit(hit: SearchHit): void;
  /** The phone's back button: to the list the chat was opened from. */
  closeConversation(): void;
  setTab(tab: Tab): void;
  /** Typing replaces the history entry: back does not step through every keystroke. */
  setSearch(q: string): void;
  setSearchLead(by: SearchLead | null): void;
}

const UrlContext = createContext<InboxUrl | null>(null);
const NavContext = createContext<InboxNav | null>(null);

export function useInboxUrl(): InboxUrl {
  const url = useContext(UrlContext);
  if (!url) throw new Error('useInboxUrl outside InboxUrlProvider');
  return url;
}

export function useInboxNav(): InboxNav {
  const nav = useContext(NavContext);
  if (!nav) throw new Error('useInboxNav outside InboxUrlProvider');
  return nav;
}

/** Set on the entry of a chat opened from the list. */
interface EntryState {
  fromList?: boolean;
}

export function InboxUrlProvider(props: { children: ReactNode }) {
  const params = useParams();
  const location = useLocation();
  const navigate = useNavigate();
  const role = useSession((s) => s.me?.role);
  const { tab, conversationId } = params;
  const resolved = useMemo(() => resolveInboxUrl({ tab, conversationId }, location.search, role), [tab, conversationId, location.search, role]);
  const url = resolved.kind === 'ok' ? resolved.url : null;

  const current = useRef({ url, state: location.state as EntryState | null, navigate });
  useLayoutEffect(() => {
    current.current = { url, state: location.state as EntryState | null, navigate };
  });

  useLayoutEffect(() => {
    if (url) useInbox.getState().followUrl(url);
  }, [url]);

  // Leaving the inbox (an admin page, the login screen) closes the chat: nothing is read unseen.
  // Coming back, the URL opens it again.
  useLayoutEffect(() => () => void useInbox.getState().openChat(null), []);

  const nav = useMemo<InboxNav>(() => {
    const go = (next: Partial<InboxUrl>, how: { replace?: boolean; state?: EntryState } = {}) => {
      const { url: now, navigate } = current.current;
      if (!now) return;
      const path = inboxPath({ ...now, ...next });
      if (path !== inboxPath(now)) navigate(path, how);
    };
    return {
      // The store is told first, so the chat starts loading with the click; `followUrl` then
      // finds it open already.
      openConversation: (id) => {
        if (useInbox.getState().activeId !== id) void useInbox.getState().openChat(id);
        go({ conversationId: id }, { state: { fromList: true } });
      },
      openSearchHit: (hit) => {
        useInbox.getState().openSearchHit(hit);
        go({ conversationId: hit.conversation_id }, { state: { fromList: true } });
      },
      closeConversation: () => {
        if (current.current.state?.fromList) current.current.navigate(-1);
        else go({ conversationId: null }, { replace: true });
      },
      setTab: (tab) => go({ tab }),
      setSearch: (q) => go({ q }, { replace: true }),
      setSearchLead: (by) => go({ by }, { replace: true }),
    };
  }, []);

  if (resolved.kind === 'redirect') return <Navigate to={resolved.to} replace />;
  return (
    <NavContext.Provider value={nav}>
      <UrlContext.Provider value={url}>{props.children}</UrlContext.Provider>
    </NavContext.Provider>
  );
}

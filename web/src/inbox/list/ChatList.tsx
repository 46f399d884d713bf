// The tab's list, virtualised (a few dozen rows in the DOM for thousands of chats); the next page
// loads as the end comes into view.
import { memo, useEffect, useMemo, useRef } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useTranslation } from 'react-i18next';
import { useSession } from '../../shared/session/store';
import { useInboxNav } from '../InboxUrl';
import { useInbox } from '../store';
import { ChatRow } from './ChatRow';
import { tabView } from './conversations';

const ROW_HEIGHT = 84;

export const ChatList = memo(function ChatList() {
  const { t } = useTranslation();
  const nav = useInboxNav();
  const conversations = useInbox((s) => s.conversations);
  const tab = useInbox((s) => s.tab);
  const paging = useInbox((s) => s.paging[s.tab]);
  const activeId = useInbox((s) => s.activeId);
  const listError = useInbox((s) => s.listError);
  const authors = useInbox((s) => s.authors);
  const me = useSession((s) => s.me);
  const hidden = useSession((s) => s.prefs.hidden_account_ids);
  const rows = useMemo(
    () => tabView(conversations, tab, me?.id ?? -1, new Set(hidden)),
    [conversations, tab, me, hidden],
  );
  const parentRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => parentRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 8,
    getItemKey: (i) => rows[i]?.id ?? i,
  });
  const items = virtualizer.getVirtualItems();
  const lastIndex = items[items.length - 1]?.index ?? -1;

  useEffect(() => {
    if (!paging.loaded && !paging.loading) void useInbox.getState().loadTab(tab, true);
  }, [paging.loaded, paging.loading, tab]);

  useEffect(() => {
    if (paging.loaded && !paging.done && !paging.loading && lastIndex >= rows.length - 20) {
      void useInbox.getState().loadTab(tab);
    }
  }, [lastIndex, rows.length, paging, tab]);

  return (
    <div className="chat-list" data-testid="chat-list" ref={parentRef}>
      {rows.length === 0 && (
        <div className="list-empty">{listError ?? (paging.loading || !paging.loaded ? t('list.loading') : t('list.empty'))}</div>
      )}
      <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
        {items.map((vi) => {
          const c = rows[vi.index];
          if (!c) return null;
          return (
            <ChatRow
              key={c.id}
              conversation={c}
              meId={me?.id}
              lastAuthor={c.last_message ? authors.get(c.last_message.id) : undefined}
              active={c.id === activeId}
              onOpen={nav.openConversation}
              style={{ position: 'absolute', top: 0, left: 0, right: 0, height: ROW_HEIGHT, transform: `translateY(${vi.start}px)` }}
            />
          );
        })}
      </div>
      {paging.loading && rows.length > 0 && <div className="list-loading">{t('list.loading')}</div>}
    </div>
  );
});

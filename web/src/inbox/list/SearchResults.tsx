// The search results in place of the list: the count, the Бот / Оператор filter, the hits with the
// matches highlighted, more on demand. What is searched is the URL's; the hits are the store's.
import { useTranslation } from 'react-i18next';
import type { SearchHit } from '../../shared/api/types';
import { sanitizeSnippet } from '../../shared/format/sanitize';
import { formatDateTime } from '../../shared/format/time';
import { Avatar } from '../../shared/ui/Avatar';
import { useInboxNav, useInboxUrl } from '../InboxUrl';
import { useInbox } from '../store';
import { SEARCH_MIN_CHARS } from '../store/search';
import type { SearchLead } from '../url';

export function SearchResults() {
  const { t } = useTranslation();
  const { q, by } = useInboxUrl();
  const nav = useInboxNav();
  const { hits, total, loading, error } = useInbox((s) => s.search);
  const typed = q.trim();
  const toggle = (l: SearchLead) => nav.setSearchLead(by === l ? null : l);
  const open = (h: SearchHit) => nav.openSearchHit(h);

  return (
    <div className="search-results" data-testid="search-results">
      <div className="search-head">
        <span className="search-count" data-testid="search-count">
          {typed.length < SEARCH_MIN_CHARS ? t('search.minChars') : total === null ? t('search.searching') : t('search.found', { count: total })}
        </span>
        <div className="search-filters">
          <button type="button" className={'filter' + (by === 'bot' ? ' on' : '')} data-testid="search-filter-bot" aria-pressed={by === 'bot' ? 'true' : 'false'} onClick={() => toggle('bot')}>
            {t('search.filterBot')}
          </button>
          <button type="button" className={'filter' + (by === 'operator' ? ' on' : '')} data-testid="search-filter-operator" aria-pressed={by === 'operator' ? 'true' : 'false'} onClick={() => toggle('operator')}>
            {t('search.filterOperator')}
          </button>
        </div>
      </div>
      {error && <div className="error-line">{error}</div>}
      <div className="search-list">
        {hits.map((h) => (
          <div
            key={`${h.conversation_id}-${h.message_id}`}
            role="button"
            tabIndex={0}
            className="search-hit"
            data-testid="search-hit"
            data-conversation-id={h.conversation_id}
            data-message-id={h.message_id}
            onClick={() => open(h)}
            onKeyDown={(e) => e.key === 'Enter' && open(h)}
          >
            <Avatar name={h.conversation.customer.name} url={h.conversation.customer.avatar_url} seed={h.conversation.customer.id} size={40} />
            <div className="search-hit-main">
              <div className="chat-row-top">
                <span className="chat-row-name">{h.conversation.customer.name || t('chat.customer')}</span>
                <span className="chat-row-time">{formatDateTime(h.created)}</span>
              </div>
              <div className="search-hit-where">
                {t('search.inMessages')} · {h.conversation.account.name}
              </div>
              <div className="search-hit-snippet" data-testid="search-hit-snippet" dangerouslySetInnerHTML={{ __html: sanitizeSnippet(h.snippet) }} />
            </div>
          </div>
        ))}
        {total !== null && hits.length < total && hits.length > 0 && (
          <button type="button" className="more-btn" disabled={loading} onClick={() => useInbox.getState().searchMore()}>
            {t('search.more')}
          </button>
        )}
      </div>
    </div>
  );
}

import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../../shared/api/client';
import type { SearchHit, SearchQuery } from '../../shared/api/types';
import { useApp, errorText } from '../../store';
import { accountIdsParam, upsertConversations } from './conversations';
import { sanitizeSnippet } from '../../shared/format/sanitize';
import { formatDateTime } from '../../shared/format/time';
import { Avatar } from '../../shared/ui/Avatar';

const LIMIT = 20;

function openHit(h: SearchHit) {
  useApp.setState((s) => ({ conversations: upsertConversations(s.conversations, [h.conversation]) }));
  void useApp.getState().openChat(h.conversation_id, h.message_id);
}

export function SearchResults(props: { query: string; raw: string }) {
  const { t } = useTranslation();
  const [lead, setLead] = useState<'bot' | 'operator' | null>(null);
  const [hits, setHits] = useState<SearchHit[]>([]);
  const [total, setTotal] = useState<number | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const accounts = useApp((s) => s.accounts);
  const hidden = useApp((s) => s.prefs.hidden_account_ids);
  const q = props.query;

  async function run(offset: number, signal: { cancelled: boolean }) {
    setLoading(true);
    const query: SearchQuery = { q, limit: LIMIT, offset };
    if (lead) query.lead = lead;
    const ids = accountIdsParam(accounts.map((a) => a.id), new Set(hidden));
    if (ids !== undefined) query.account_ids = ids;
    try {
      const r = await unwrap(api.GET('/api/v1/search', { params: { query } }));
      if (signal.cancelled) return;
      setTotal(r.total_conversations);
      setHits((h) => (offset === 0 ? r.hits : [...h, ...r.hits]));
      setError(null);
    } catch (e) {
      if (!signal.cancelled) setError(errorText(e));
    } finally {
      if (!signal.cancelled) setLoading(false);
    }
  }

  useEffect(() => {
    const signal = { cancelled: false };
    if (q.length >= 2) void run(0, signal);
    else {
      setHits([]);
      setTotal(null);
    }
    return () => {
      signal.cancelled = true;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [q, lead, accounts, hidden]);

  const toggle = (l: 'bot' | 'operator') => setLead((cur) => (cur === l ? null : l));

  return (
    <div className="search-results" data-testid="search-results">
      <div className="search-head">
        <span className="search-count" data-testid="search-count">
          {props.raw.length < 2 ? t('search.minChars') : total === null ? t('search.searching') : t('search.found', { count: total })}
        </span>
        <div className="search-filters">
          <button type="button" className={'filter' + (lead === 'bot' ? ' on' : '')} data-testid="search-filter-bot" aria-pressed={lead === 'bot' ? 'true' : 'false'} onClick={() => toggle('bot')}>
            {t('search.filterBot')}
          </button>
          <button type="button" className={'filter' + (lead === 'operator' ? ' on' : '')} data-testid="search-filter-operator" aria-pressed={lead === 'operator' ? 'true' : 'false'} onClick={() => toggle('operator')}>
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
            onClick={() => openHit(h)}
            onKeyDown={(e) => e.key === 'Enter' && openHit(h)}
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
          <button type="button" className="more-btn" disabled={loading} onClick={() => void run(hits.length, { cancelled: false })}>
            {t('search.more')}
          </button>
        )}
      </div>
    </div>
  );
}

// The history of the open chat: bubbles with their delivery status (and retry), quoted replies and
// link cards, handoffs as events, sends in flight; virtualised, paged upwards, scrolled to a search
// hit or to a quoted message.
import { memo, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useTranslation } from 'react-i18next';
import { errorText } from '../../shared/api/errors';
import type { Conversation, Handoff, Message } from '../../shared/api/types';
import { formatClock, formatSize } from '../../shared/format/time';
import { useSession } from '../../shared/session/store';
import { CheckIcon, ClipIcon, ClockIcon, DoubleCheckIcon, WarnIcon } from '../../shared/ui/Icons';
import { useInbox, type ChatState } from '../store';
import { LinkCard } from './LinkCard';
import { linkCardView } from './linkPreviews';
import { buildTimeline, type PendingMessage } from './messages';
import { QuotedReply } from './QuotedReply';
import { byExternalId, quoteView } from './quotes';
import { authorLabel, estimateRow, handoffText } from './timelineRows';

const StatusLine = memo(function StatusLine(props: { m: Message }) {
  const { t } = useTranslation();
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState<string | null>(null);
  const s = props.m.status;
  const icon = s === 'queued' ? <ClockIcon /> : s === 'sent' ? <CheckIcon /> : s === 'failed' ? <WarnIcon /> : <DoubleCheckIcon />;
  return (
    <span className={'message-status st-' + props.m.status} data-testid="message-status" title={props.m.error ?? ''}>
      <span className="st-icon" aria-hidden="true">{icon}</span> {t('status.' + props.m.status)}
      {props.m.status === 'failed' && (
        <button
          type="button"
          className="retry-btn"
          data-testid="message-retry"
          disabled={busy}
          onClick={() => {
            setBusy(true);
            useInbox
              .getState()
              .retry(props.m.id)
              .then(() => setErr(null))
              .catch((e: unknown) => setErr(errorText(e)))
              .finally(() => setBusy(false));
          }}
        >
          {t('chat.retry')}
        </button>
      )}
      {err && <span className="error-inline"> {err}</span>}
    </span>
  );
});

interface BubbleProps {
  m: Message;
  meId: number | undefined;
  meName: string;
  assigneeId: number | undefined;
  assigneeName: string | undefined;
  highlight: boolean;
  /** The message this one quotes, when it is loaded. */
  quoted: Message | undefined;
  customerName: string | null;
  /** Scrolls to a loaded message and highlights it (stable across renders). */
  onShowMessage: (messageId: number) => void;
}

/** One message. Memoised on primitive props: a new page or event re-renders only the rows it changed. */
const Bubble = memo(function Bubble(props: BubbleProps) {
  const { t } = useTranslation();
  const m = props.m;
  const kind = m.author.kind;
  const author = authorLabel(m, props, t);
  const quote = m.quote ? quoteView(m.quote, props.quoted, props, props.customerName, t) : null;
  const card = linkCardView(m.link_preview);
  return (
    <div
      className={'message ' + (m.direction === 'in' ? 'in' : 'out') + (props.highlight ? ' highlight' : '')}
      data-testid="message"
      data-message-id={m.id}
      data-direction={m.direction}
      data-author={kind}
      data-status={m.status}
      id={`msg-${m.id}`}
    >
      <div className="bubble">
        {author && <div className={'author author-' + kind}>{author}</div>}
        {quote && <QuotedReply view={quote} onShow={props.onShowMessage} />}
        {m.attachments.map((a, i) =>
          a.type === 'image' ? (
            <a key={i} href={a.url} target="_blank" rel="noreferrer" className="att-image" title={t('chat.openImage')}>
              <img src={a.url} alt={a.name ?? ''} loading="lazy" />
            </a>
          ) : (
            <a key={i} href={a.url} target="_blank" rel="noreferrer" className="att-file" download={a.name ?? undefined}>
              <ClipIcon size={14} /> {a.name ?? a.url} {a.size != null && <span className="att-size">{formatSize(a.size)}</span>}
            </a>
          ),
        )}
        {m.text && (
          <div className="message-text" data-testid="message-text">
            {m.text}
          </div>
        )}
        {card && <LinkCard view={card} />}
        <div className="message-foot">
          <span className="message-time">{formatClock(m.created_at)}</span>
          {m.direction === 'out' && <StatusLine m={m} />}
        </div>
        {m.status === 'failed' && m.error && <div className="error-inline">{m.error}</div>}
      </div>
    </div>
  );
});

const HandoffEvent = memo(function HandoffEvent(props: { h: Handoff; operatorName: string | undefined }) {
  const { t, i18n } = useTranslation();
  return (
    <div className="system-event" data-testid="system-event">
      <span>
        {handoffText(props.h, t, (k) => i18n.exists(k), props.operatorName)} · {formatClock(props.h.created_at)}
      </span>
    </div>
  );
});

const PendingBubble = memo(function PendingBubble(props: { p: PendingMessage }) {
  const { t } = useTranslation();
  return (
    <div className="message out pending" data-testid="message" data-direction="out" data-author="operator" data-status="sending">
      <div className="bubble">
        <div className="message-text" data-testid="message-text">
          {props.p.text}
        </div>
        <div className="message-foot">
          <span className="message-status" data-testid="message-status">
            <ClockIcon /> {t('status.sending')}
          </span>
        </div>
      </div>
    </div>
  );
});

/**
 * Rows drawn beyond each edge of the view. Generous on purpose: a page of older messages (50) put
 * above the view is drawn as the reader scrolls into it, without blank frames; still a few dozen
 * rows in the DOM however long the history.
 */
const OVERSCAN = 25;
const LOAD_OLDER_AT = 300;

/**
 * The history of the open chat, virtualised: only the rows near the view are in the DOM. Older
 * pages are prepended with the reading position kept (`anchorTo: 'end'`); a view at the newest
 * message follows new ones (`followOnAppend`); a search hit is scrolled to by index.
 */
export function MessageList(props: { chat: ChatState; conv: Conversation }) {
  const { t } = useTranslation();
  const { chat, conv } = props;
  const me = useSession((s) => s.me);
  const focusMessageId = useInbox((s) => s.focusMessageId);
  const [highlight, setHighlight] = useState<number | null>(null);
  const ref = useRef<HTMLDivElement>(null);
  const openedAtEnd = useRef(false);
  const timeline = useMemo(() => buildTimeline(chat.messages, chat.handoffs, chat.pending, chat.hasMore), [chat.messages, chat.handoffs, chat.pending, chat.hasMore]);
  const loadedByExternalId = useMemo(() => byExternalId(chat.messages), [chat.messages]);

  const virtualizer = useVirtualizer({
    count: timeline.length,
    getScrollElement: () => ref.current,
    estimateSize: useCallback((i: number) => estimateRow(timeline[i]), [timeline]),
    getItemKey: useCallback((i: number) => timeline[i]?.key ?? i, [timeline]),
    overscan: OVERSCAN,
    paddingStart: 12,
    paddingEnd: 12,
    anchorTo: 'end',
    followOnAppend: true,
    scrollEndThreshold: 60,
  });

  const meId = me?.id;
  const meName = me?.display_name ?? '';
  const assigneeId = conv.assignee?.id;
  const assigneeName = conv.assignee?.display_name;

  const loadOlderIfNear = () => {
    const el = ref.current;
    const c = useInbox.getState().chat;
    if (!el || !c || !c.loaded || !c.hasMore || c.loadingOlder) return;
    // Near the top, or a history shorter than the view (no scrollbar to reach the top with).
    if (el.scrollTop < LOAD_OLDER_AT || el.scrollHeight <= el.clientHeight + 50) void useInbox.getState().loadOlder();
  };

  // On open: show the newest message (unless a search hit is to be shown).
  useLayoutEffect(() => {
    if (!chat.loaded || openedAtEnd.current || timeline.length === 0) return;
    openedAtEnd.current = true;
    if (useInbox.getState().focusMessageId == null) virtualizer.scrollToEnd();
  }, [chat.loaded, timeline.length, virtualizer]);

  // After each page (or a first page shorter than the view) see whether the next one is wanted.
  useEffect(() => {
    if (focusMessageId == null) loadOlderIfNear();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [chat.loaded, chat.hasMore, chat.loadingOlder, timeline.length, focusMessageId]);

  // A search hit: load older pages until the message is there, then show and highlight it.
  useEffect(() => {
    if (focusMessageId == null || !chat.loaded) return;
    const index = timeline.findIndex((it) => it.kind === 'message' && it.message.id === focusMessageId);
    if (index >= 0) {
      virtualizer.scrollToIndex(index, { align: 'center' });
      setHighlight(focusMessageId);
      useInbox.getState().clearFocus();
      return;
    }
    if (chat.hasMore && !chat.loadingOlder) void useInbox.getState().loadOlder();
    else if (!chat.hasMore) useInbox.getState().clearFocus();
  }, [focusMessageId, chat.loaded, timeline, chat.hasMore, chat.loadingOlder, virtualizer]);

  useEffect(() => {
    if (highlight == null) return;
    const id = setTimeout(() => setHighlight(null), 2500);
    return () => clearTimeout(id);
  }, [highlight]);

  // A click on a quote: the quoted message is loaded (or the quote is not clickable), so find its
  // row, bring it to the middle and highlight it. Read through a ref so the callback stays the same
  // and the memoised bubbles do not all re-render on each new message.
  const timelineRef = useRef(timeline);
  useLayoutEffect(() => {
    timelineRef.current = timeline;
  }, [timeline]);
  const showMessage = useCallback(
    (messageId: number) => {
      const index = timelineRef.current.findIndex((it) => it.kind === 'message' && it.message.id === messageId);
      if (index < 0) return;
      virtualizer.scrollToIndex(index, { align: 'center' });
      setHighlight(messageId);
    },
    [virtualizer],
  );
  const customerName = conv.customer.name ?? null;

  const items = virtualizer.getVirtualItems();

  return (
    <div className="message-list-wrap">
      {chat.loadingOlder && <div className="list-loading older">{t('chat.loadingOlder')}</div>}
      <div className="message-list" data-testid="message-list" ref={ref} onScroll={loadOlderIfNear}>
        {!chat.loaded && <div className="list-loading">{t('chat.loading')}</div>}
        {chat.loaded && timeline.length === 0 && <div className="list-empty">{t('chat.empty')}</div>}
        <div className="message-rows" style={{ height: virtualizer.getTotalSize() }}>
          {items.map((vi) => {
            const item = timeline[vi.index];
            if (!item) return null;
            let row;
            if (item.kind === 'message') {
              row = (
                <Bubble
                  m={item.message}
                  meId={meId}
                  meName={meName}
                  assigneeId={assigneeId}
                  assigneeName={assigneeName}
                  highlight={highlight === item.message.id}
                  quoted={item.message.quote ? loadedByExternalId.get(item.message.quote.external_id) : undefined}
                  customerName={customerName}
                  onShowMessage={showMessage}
                />
              );
            } else if (item.kind === 'handoff') {
              const h = item.handoff;
              const name = h.actor.operator_id === meId ? meName : h.actor.operator_id === assigneeId ? assigneeName : undefined;
              row = <HandoffEvent h={h} operatorName={name} />;
            } else {
              row = <PendingBubble p={item.pending} />;
            }
            return (
              <div key={vi.key} className="message-row" data-index={vi.index} ref={virtualizer.measureElement} style={{ transform: `translateY(${vi.start}px)` }}>
                {row}
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}

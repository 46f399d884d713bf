import { CheckIcon, ClipIcon, ClockIcon, DoubleCheckIcon, WarnIcon } from './Icons';
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Conversation, Handoff, Message } from '../api/types';
import { useApp, errorText, type ChatState } from '../store';
import { buildTimeline } from '../lib/messages';
import { formatClock, formatSize } from '../lib/time';

export function handoffText(h: Handoff, t: (k: string, o?: Record<string, unknown>) => string, operatorName?: string): string {
  const name = operatorName ?? (h.actor.operator_id != null ? `#${h.actor.operator_id}` : '');
  if (h.to === 'operator') {
    if (h.actor.kind === 'bot' || h.actor.kind === 'system') return t('handoff.toOperator', { reason: t('handoff.reason.' + h.reason) });
    if (h.actor.kind === 'external') return t('handoff.externalTook');
    if (h.actor.kind === 'operator') return t('handoff.operatorTook', { name });
    return t('handoff.toOperator', { reason: t('handoff.reason.' + h.reason) });
  }
  if (h.actor.kind === 'operator') return t('handoff.operatorToBot', { name });
  return t('handoff.toBot');
}

function StatusLine(props: { m: Message }) {
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
            useApp
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
}

function Bubble(props: { m: Message; conv: Conversation; meId: number | undefined; meName: string; highlight: boolean }) {
  const { t } = useTranslation();
  const m = props.m;
  const kind = m.author.kind;
  const author =
    kind === 'bot'
      ? t('chat.bot')
      : kind === 'external'
        ? t('chat.external')
        : kind === 'operator'
          ? m.author.operator_id != null && m.author.operator_id === props.meId
            ? props.meName
            : props.conv.assignee && props.conv.assignee.id === m.author.operator_id
              ? props.conv.assignee.display_name
              : t('chat.operator')
          : kind === 'system'
            ? t('chat.system')
            : null;
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
        <div className="message-foot">
          <span className="message-time">{formatClock(m.created_at)}</span>
          {m.direction === 'out' && <StatusLine m={m} />}
        </div>
        {m.status === 'failed' && m.error && <div className="error-inline">{m.error}</div>}
      </div>
    </div>
  );
}

export function MessageList(props: { chat: ChatState; conv: Conversation }) {
  const { t } = useTranslation();
  const { chat, conv } = props;
  const me = useApp((s) => s.me);
  const focusMessageId = useApp((s) => s.focusMessageId);
  const [highlight, setHighlight] = useState<number | null>(null);
  const ref = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  const prevHeight = useRef<{ first: number | undefined; height: number; top: number } | null>(null);
  const timeline = useMemo(() => buildTimeline(chat.messages, chat.handoffs, chat.pending, chat.hasMore), [chat.messages, chat.handoffs, chat.pending, chat.hasMore]);
  const firstId = chat.messages[0]?.id;

  // Keep the view still when older messages are put above it; follow the bottom when it was there.
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const prev = prevHeight.current;
    if (prev && prev.first !== firstId && prev.first !== undefined) {
      el.scrollTop = prev.top + (el.scrollHeight - prev.height);
    } else if (atBottom.current && focusMessageId == null) {
      el.scrollTop = el.scrollHeight;
    }
    prevHeight.current = { first: firstId, height: el.scrollHeight, top: el.scrollTop };
    // A first page shorter than the view has no scrollbar to reach the top with: load on.
    if (chat.loaded && chat.hasMore && !chat.loadingOlder && el.scrollHeight <= el.clientHeight + 50) {
      void useApp.getState().loadOlder();
    }
  }, [timeline, firstId, focusMessageId, chat.loaded, chat.hasMore, chat.loadingOlder]);

  // A search hit: load older pages until the message is there, then show and highlight it.
  useEffect(() => {
    if (focusMessageId == null || !chat.loaded) return;
    const el = document.getElementById(`msg-${focusMessageId}`);
    if (el) {
      el.scrollIntoView({ block: 'center' });
      atBottom.current = false;
      setHighlight(focusMessageId);
      useApp.getState().clearFocus();
      const id = setTimeout(() => setHighlight(null), 2500);
      return () => clearTimeout(id);
    }
    if (chat.hasMore && !chat.loadingOlder) void useApp.getState().loadOlder();
    else if (!chat.hasMore) useApp.getState().clearFocus();
    return undefined;
  }, [focusMessageId, chat.loaded, chat.messages, chat.hasMore, chat.loadingOlder]);

  const onScroll = () => {
    const el = ref.current;
    if (!el) return;
    atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 60;
    if (prevHeight.current) prevHeight.current = { ...prevHeight.current, top: el.scrollTop };
    if (el.scrollTop < 300 && chat.hasMore && !chat.loadingOlder) void useApp.getState().loadOlder();
  };

  return (
    <div className="message-list" data-testid="message-list" ref={ref} onScroll={onScroll}>
      {chat.loadingOlder && <div className="list-loading">{t('chat.loadingOlder')}</div>}
      {!chat.loaded && <div className="list-loading">{t('chat.loading')}</div>}
      {chat.loaded && timeline.length === 0 && <div className="list-empty">{t('chat.empty')}</div>}
      {timeline.map((item) => {
        if (item.kind === 'message') {
          return <Bubble key={item.key} m={item.message} conv={conv} meId={me?.id} meName={me?.display_name ?? ''} highlight={highlight === item.message.id} />;
        }
        if (item.kind === 'handoff') {
          const h = item.handoff;
          const name = h.actor.operator_id === me?.id ? me?.display_name : h.actor.operator_id === conv.assignee?.id ? conv.assignee?.display_name : undefined;
          return (
            <div key={item.key} className="system-event" data-testid="system-event">
              <span>
                {handoffText(h, t, name)} · {formatClock(h.created_at)}
              </span>
            </div>
          );
        }
        return (
          <div key={item.key} className="message out pending" data-testid="message" data-direction="out" data-author="operator" data-status="sending">
            <div className="bubble">
              <div className="message-text" data-testid="message-text">
                {item.pending.text}
              </div>
              <div className="message-foot">
                <span className="message-status" data-testid="message-status">
                  <ClockIcon /> {t('status.sending')}
                </span>
              </div>
            </div>
          </div>
        );
      })}
    </div>
  );
}

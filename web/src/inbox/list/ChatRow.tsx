// One row of the list: the customer, the last message with who wrote it, the time, the unread count,
// who leads and the listing's thumbnail. Memoised: a new event re-renders only the rows it changed.
import { memo } from 'react';
import { useTranslation } from 'react-i18next';
import type { Conversation, Message } from '../../shared/api/types';
import { activityAt } from './conversations';
import { previewPrefix } from './preview';
import { formatListTime } from '../../shared/format/time';
import { Avatar } from '../../shared/ui/Avatar';

export const ChatRow = memo(function ChatRow(props: {
  conversation: Conversation;
  meId?: number;
  lastAuthor?: Message['author'];
  active: boolean;
  onOpen: (id: number) => void;
  style?: React.CSSProperties;
}) {
  const { t } = useTranslation();
  const c = props.conversation;
  const prefix = previewPrefix(c, props.meId ?? -1, props.lastAuthor);
  const prefixText =
    prefix === null ? null : prefix.kind === 'operator' ? `${prefix.name}:` : t(prefix.kind === 'you' ? 'list.you' : prefix.kind === 'bot' ? 'list.bot' : 'list.external');
  const name = c.customer.name || t('chat.customer');
  return (
    <div
      role="button"
      tabIndex={0}
      className={'chat-row' + (props.active ? ' active' : '') + (c.unread_count > 0 ? ' unread' : '')}
      data-testid="chat-row"
      data-conversation-id={c.id}
      data-lead={c.lead}
      data-account-id={c.account.id}
      style={props.style}
      onClick={() => props.onOpen(c.id)}
      onKeyDown={(e) => {
        if (e.key === 'Enter') props.onOpen(c.id);
      }}
    >
      <Avatar name={c.customer.name} url={c.customer.avatar_url} seed={c.customer.id} testId="chat-row-avatar" />
      <div className="chat-row-main">
        <div className="chat-row-top">
          <span className="chat-row-name" data-testid="chat-row-name">
            {name}
          </span>
          <span className="chat-row-time" data-testid="chat-row-time">
            {formatListTime(activityAt(c))}
          </span>
        </div>
        <div className="chat-row-mid">
          <span className="chat-row-preview" data-testid="chat-row-preview">
            {prefixText && <span className="prefix">{prefixText} </span>}
            {c.last_message ? c.last_message.text || t('list.attachment') : t('list.noMessages')}
          </span>
          {c.unread_count > 0 && (
            <span className="badge" data-testid="chat-row-unread">
              {c.unread_count > 99 ? '99+' : c.unread_count}
            </span>
          )}
        </div>
        <div className="chat-row-meta">
          <span className={'chip ' + (c.lead === 'bot' ? 'chip-bot' : 'chip-op')} data-testid="chat-row-status">
            {t(c.lead === 'bot' ? 'list.statusBot' : 'list.statusOperator')}
          </span>
          <span className="chat-row-account" data-testid="chat-row-account">
            {c.account.name}
          </span>
          <span className={'chat-row-operator' + (c.assignee ? '' : ' unassigned')} data-testid="chat-row-operator">
            {c.lead === 'operator' ? (c.assignee ? c.assignee.display_name : t('list.unassigned')) : ''}
          </span>
        </div>
      </div>
      {c.listing && (
        <div className="listing-thumb" data-testid="chat-row-listing-thumb" title={c.listing.title ?? ''}>
          {c.listing.image_url ? <img src={c.listing.image_url} alt="" loading="lazy" /> : <span>▦</span>}
        </div>
      )}
    </div>
  );
});

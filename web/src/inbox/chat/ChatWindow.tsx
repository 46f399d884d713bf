// The open chat: its header (the customer, who leads and the toggle «Передать оператору» /
// «Передать боту»), the cards, the history, the bot's briefing and the composer.
import { memo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { errorText } from '../../shared/api/errors';
import { useSession } from '../../shared/session/store';
import { Avatar } from '../../shared/ui/Avatar';
import { BackIcon } from '../../shared/ui/Icons';
import { useInboxNav } from '../InboxUrl';
import { useInbox } from '../store';
import { Briefing } from './Briefing';
import { CardsStrip, CustomerCard, ListingCard } from './Cards';
import { Composer } from './Composer';
import { MessageList } from './MessageList';
import { placeholderValues } from './placeholders';

export { InfoPanel } from './Cards';

const NO_UPLOADS: never[] = [];

export const ChatWindow = memo(function ChatWindow(props: { phone: boolean; cardsInline: boolean }) {
  const { t } = useTranslation();
  const nav = useInboxNav();
  const chat = useInbox((s) => s.chat);
  const conv = useInbox((s) => (s.activeId != null ? s.conversations.get(s.activeId) : undefined));
  const quickReplies = useInbox((s) => s.quickReplies);
  const me = useSession((s) => s.me);
  const connection = useSession((s) => s.connection);
  const [leadBusy, setLeadBusy] = useState(false);
  const [leadError, setLeadError] = useState<string | null>(null);

  if (!chat) return <div className="chat-empty">{t('chat.choose')}</div>;
  if (!conv) return <div className="chat-empty">{chat.error ?? t('chat.loading')}</div>;

  const toggleLead = () => {
    setLeadBusy(true);
    setLeadError(null);
    useInbox
      .getState()
      .setLead(conv.id, conv.lead === 'bot' ? 'operator' : 'bot')
      .catch((e: unknown) => setLeadError(errorText(e)))
      .finally(() => setLeadBusy(false));
  };
  const inbox = useInbox.getState();

  return (
    <section className="chat-window" data-testid="chat-window" data-conversation-id={conv.id}>
      <header className="chat-head">
        {props.phone && (
          <button type="button" className="icon-btn" data-testid="chat-back" aria-label={t('chat.back')} onClick={nav.closeConversation}>
            <BackIcon />
          </button>
        )}
        <Avatar name={conv.customer.name} url={conv.customer.avatar_url} seed={conv.customer.id} size={40} />
        <div className="chat-head-main">
          <div className="chat-head-name">{conv.customer.name || t('chat.customer')}</div>
          <div className="chat-head-account">{conv.account.name}</div>
        </div>
        <div className="lead-box">
          <span className={'lead-label ' + conv.lead} data-testid="lead-label">
            {t(conv.lead === 'bot' ? 'chat.leadBot' : 'chat.leadOperator')}
          </span>
          <button type="button" className="lead-toggle" data-testid="lead-toggle" disabled={leadBusy} onClick={toggleLead}>
            {t(conv.lead === 'bot' ? 'chat.toOperator' : 'chat.toBot')}
          </button>
        </div>
      </header>
      {leadError && <div className="error-line">{leadError}</div>}
      {chat.error && <div className="error-line">{chat.error}</div>}
      {props.cardsInline &&
        (props.phone ? (
          <CardsStrip conv={conv} />
        ) : (
          <div className="inline-cards">
            <ListingCard conv={conv} />
            <CustomerCard conv={conv} />
          </div>
        ))}
      <MessageList key={`list-${conv.id}`} chat={chat} conv={conv} />
      {conv.lead === 'operator' && chat.briefing && <Briefing h={chat.briefing} />}
      <Composer
        key={`composer-${conv.id}`}
        conversationId={conv.id}
        online={connection !== 'offline'}
        quickReplies={quickReplies}
        placeholderValues={placeholderValues(conv, me?.display_name)}
        uploads={chat.id === conv.id ? chat.uploads : NO_UPLOADS}
        onAttach={(files) => inbox.attachFiles(conv.id, files)}
        onRemoveUpload={inbox.removeUpload}
        onSend={(text, attachments) => inbox.send(conv.id, text, attachments)}
      />
    </section>
  );
});

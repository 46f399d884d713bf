import { BackIcon } from '../../shared/ui/Icons';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Conversation, Handoff } from '../../shared/api/types';
import { useApp, errorText } from '../../store';
import { placeholderValues } from './placeholders';
import { intentLabel, reasonLabel, slotLabel } from '../../shared/i18n/labels';
import { Avatar } from '../../shared/ui/Avatar';
import { Composer } from './Composer';
import { MessageList } from './MessageList';

export function ListingCard(props: { conv: Conversation }) {
  const { t } = useTranslation();
  const l = props.conv.listing;
  if (!l) return null;
  return (
    <div className="card listing-card" data-testid="listing-card">
      <div className="card-title">{t('chat.listing')}</div>
      <div className="listing-body">
        <div className="listing-img">{l.image_url ? <img src={l.image_url} alt="" /> : <span>▦</span>}</div>
        <div>
          <div className="listing-title">{l.title}</div>
          {l.price && <div className="listing-price">{l.price}</div>}
          {l.url && (
            <a href={l.url} target="_blank" rel="noopener noreferrer">
              {t('chat.openListing')}
            </a>
          )}
        </div>
      </div>
    </div>
  );
}

export function CustomerCard(props: { conv: Conversation }) {
  const { t, i18n } = useTranslation();
  const exists = (k: string) => i18n.exists(k);
  const c = props.conv;
  const slots = Object.entries(c.slots);
  return (
    <div className="card customer-card" data-testid="customer-card">
      <div className="card-title">{t('chat.customerCard')}</div>
      <div className="customer-head">
        <Avatar name={c.customer.name} url={c.customer.avatar_url} seed={c.customer.id} size={40} />
        <strong>{c.customer.name || t('chat.customer')}</strong>
      </div>
      <dl>
        {c.customer.phone && (
          <>
            <dt>{t('chat.phone')}</dt>
            <dd>{c.customer.phone}</dd>
          </>
        )}
        {c.intent && (
          <>
            <dt>{t('chat.intent')}</dt>
            <dd data-testid="customer-intent" data-intent={c.intent}>
              {intentLabel(t, exists, c.intent)}
            </dd>
          </>
        )}
        {slots.map(([k, v]) => (
          <span key={k} className="slot" data-slot={k}>
            <dt>{slotLabel(t, exists, k)}</dt>
            <dd>{v}</dd>
          </span>
        ))}
      </dl>
    </div>
  );
}

/** On a phone: one line (listing, price, topic) that opens the listing and customer cards, stacked. */
function CardsStrip(props: { conv: Conversation }) {
  const { t, i18n } = useTranslation();
  const [open, setOpen] = useState(false);
  const c = props.conv;
  const parts = [
    c.listing?.title,
    c.listing?.price,
    c.intent ? `${t('chat.intent')}: ${intentLabel(t, (k) => i18n.exists(k), c.intent)}` : null,
  ].filter((x): x is string => !!x);
  const summary = parts.length ? parts.join(' · ') : c.customer.name || t('chat.customer');
  return (
    <div className={'cards-strip' + (open ? ' open' : '')} data-testid="cards-strip">
      <button type="button" className="cards-strip-head" aria-expanded={open} data-testid="cards-strip-toggle" onClick={() => setOpen((o) => !o)}>
        <span className="cards-strip-label">{t(c.listing ? 'chat.listing' : 'chat.customerCard')}</span>
        <span className="cards-strip-summary">{summary}</span>
        <span className="briefing-toggle">{open ? t('briefing.hide') : t('briefing.show')}</span>
      </button>
      {open && (
        <div className="cards-stack">
          <ListingCard conv={c} />
          <CustomerCard conv={c} />
        </div>
      )}
    </div>
  );
}

function Briefing(props: { h: Handoff }) {
  const { t, i18n } = useTranslation();
  const exists = (k: string) => i18n.exists(k);
  const [open, setOpen] = useState(true);
  const h = props.h;
  const slots = Object.entries(h.slots);
  return (
    <div className={'handoff-briefing' + (open ? '' : ' collapsed')} data-testid="handoff-briefing">
      <button type="button" className="briefing-head" aria-expanded={open} onClick={() => setOpen((o) => !o)}>
        <strong>{t('briefing.title')}:</strong>
        <span>{reasonLabel(t, exists, h.reason)}</span>
        <span className="briefing-toggle">{open ? t('briefing.hide') : t('briefing.show')}</span>
      </button>
      {open && (
        <div className="briefing-body">
          {h.intent && (
            <div>
              <b>{t('briefing.intent')}:</b> {intentLabel(t, exists, h.intent)}
            </div>
          )}
          {h.summary && (
            <div>
              <b>{t('briefing.summary')}:</b> {h.summary}
            </div>
          )}
          {slots.length > 0 && (
            <div>
              <b>{t('briefing.slots')}:</b> {slots.map(([k, v]) => `${slotLabel(t, exists, k)}: ${v}`).join(', ')}
            </div>
          )}
          {h.briefing && (
            <div className="briefing-text">
              <b>{t('briefing.text')}:</b> {h.briefing}
            </div>
          )}
        </div>
      )}
    </div>
  );
}

export function ChatWindow(props: { phone: boolean; cardsInline: boolean }) {
  const { t } = useTranslation();
  const chat = useApp((s) => s.chat);
  const conv = useApp((s) => (s.activeId != null ? s.conversations.get(s.activeId) : undefined));
  const me = useApp((s) => s.me);
  const connection = useApp((s) => s.connection);
  const quickReplies = useApp((s) => s.quickReplies);
  const [leadBusy, setLeadBusy] = useState(false);
  const [leadError, setLeadError] = useState<string | null>(null);

  if (!chat) return <div className="chat-empty">{t('chat.choose')}</div>;
  if (!conv) return <div className="chat-empty">{chat.error ?? t('chat.loading')}</div>;

  const toggleLead = () => {
    setLeadBusy(true);
    setLeadError(null);
    useApp
      .getState()
      .setLead(conv.id, conv.lead === 'bot' ? 'operator' : 'bot')
      .catch((e: unknown) => setLeadError(errorText(e)))
      .finally(() => setLeadBusy(false));
  };

  return (
    <section className="chat-window" data-testid="chat-window" data-conversation-id={conv.id}>
      <header className="chat-head">
        {props.phone && (
          <button type="button" className="icon-btn" data-testid="chat-back" aria-label={t('chat.back')} onClick={() => void useApp.getState().openChat(null)}>
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
      {props.cardsInline && (props.phone ? <CardsStrip conv={conv} /> : (
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
        onSend={(text, attachments) => useApp.getState().send(conv.id, text, attachments)}
      />
    </section>
  );
}

export function InfoPanel() {
  const conv = useApp((s) => (s.activeId != null ? s.conversations.get(s.activeId) : undefined));
  if (!conv) return <aside className="info-panel" />;
  return (
    <aside className="info-panel">
      <ListingCard conv={conv} />
      <CustomerCard conv={conv} />
    </aside>
  );
}

// The listing and customer cards: beside the chat on wide screens, above it on narrower ones, and
// on a phone a one-line strip that opens them stacked.
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Conversation } from '../../shared/api/types';
import { intentLabel, slotLabel } from '../../shared/i18n/labels';
import { Avatar } from '../../shared/ui/Avatar';
import { useInbox } from '../store';

type T = (key: string, options?: Record<string, unknown>) => string;

/** The phone strip's one line: listing, price and topic, or the customer's name without them. */
export function cardsSummary(c: Conversation, t: T, exists: (key: string) => boolean): string {
  const parts = [c.listing?.title, c.listing?.price, c.intent ? `${t('chat.intent')}: ${intentLabel(t, exists, c.intent)}` : null].filter(
    (x): x is string => !!x,
  );
  return parts.length ? parts.join(' · ') : c.customer.name || t('chat.customer');
}

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
export function CardsStrip(props: { conv: Conversation }) {
  const { t, i18n } = useTranslation();
  const [open, setOpen] = useState(false);
  const c = props.conv;
  const summary = cardsSummary(c, t, (k) => i18n.exists(k));
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

export function InfoPanel() {
  const conv = useInbox((s) => (s.activeId != null ? s.conversations.get(s.activeId) : undefined));
  if (!conv) return <aside className="info-panel" />;
  return (
    <aside className="info-panel">
      <ListingCard conv={conv} />
      <CustomerCard conv={conv} />
    </aside>
  );
}

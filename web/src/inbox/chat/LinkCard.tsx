// A link's preview card under a message: picture, title, description, domain. The whole card is
// the link (new tab, no opener, no referrer) when the link is http(s); otherwise it only shows.
import { useTranslation } from 'react-i18next';
import type { LinkCardView } from './linkPreviews';

export function LinkCard(props: { view: LinkCardView }) {
  const { t } = useTranslation();
  const v = props.view;
  const body = (
    <>
      {v.image && <img className="link-card-image" data-testid="link-card-image" src={v.image} alt="" loading="lazy" />}
      <span className="link-card-body">
        {v.title && (
          <span className="link-card-title" data-testid="link-card-title">
            {v.title}
          </span>
        )}
        {v.description && (
          <span className="link-card-description" data-testid="link-card-description">
            {v.description}
          </span>
        )}
        {v.domain && (
          <span className="link-card-domain" data-testid="link-card-domain">
            {v.domain}
          </span>
        )}
      </span>
    </>
  );
  if (!v.href) {
    return (
      <div className="link-card" data-testid="link-card">
        {body}
      </div>
    );
  }
  return (
    <a className="link-card" data-testid="link-card" href={v.href} target="_blank" rel="noopener noreferrer" title={t('chat.linkOpen')}>
      {body}
    </a>
  );
}

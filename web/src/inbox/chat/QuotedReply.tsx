// The quoted message above a reply's text. A button when the quoted message is loaded (it scrolls
// there and highlights it), plain text otherwise: there is nothing on screen to go to.
import { useTranslation } from 'react-i18next';
import { formatClock } from '../../shared/format/time';
import type { QuoteView } from './quotes';

export function QuotedReply(props: { view: QuoteView; onShow: (messageId: number) => void }) {
  const { t } = useTranslation();
  const { view, onShow } = props;
  const body = (
    <>
      <span className="quote-head">
        <span className="quote-author" data-testid="quote-author">
          {view.author}
        </span>
        {view.createdAt && <span className="quote-time"> · {formatClock(view.createdAt)}</span>}
      </span>
      <span className="quote-text" data-testid="quote-text">
        {view.text}
      </span>
    </>
  );
  const target = view.targetId;
  if (target == null) {
    return (
      <div className="quote" data-testid="message-quote" aria-label={t('chat.quoteLabel')}>
        {body}
      </div>
    );
  }
  return (
    <button
      type="button"
      className="quote quote-link"
      data-testid="message-quote"
      data-quote-target={target}
      title={t('chat.quoteShow')}
      onClick={() => onShow(target)}
    >
      {body}
    </button>
  );
}

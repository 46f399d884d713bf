// A token the server shows once (a new API account, a rotation): shown with a copy button and a
// warning, until the admin closes it — it cannot be read again.
import { useState } from 'react';
import { useTranslation } from 'react-i18next';

export function TokenOnce(props: { token: string; onClose: () => void }) {
  const { t } = useTranslation();
  const [copied, setCopied] = useState<'yes' | 'failed' | null>(null);
  return (
    <div className="adm-token" data-testid="token-once">
      <strong>{t('channels.token.title')}</strong>
      <code data-testid="token-value">{props.token}</code>
      <p className="adm-hint">{t('channels.token.once')}</p>
      <div className="adm-actions">
        <button
          type="button"
          className="adm-btn adm-primary"
          data-testid="token-copy"
          onClick={() =>
            navigator.clipboard.writeText(props.token).then(
              () => setCopied('yes'),
              () => setCopied('failed'),
            )
          }
        >
          {t('channels.token.copy')}
        </button>
        {copied && (
          <span className={copied === 'yes' ? 'adm-notice' : 'adm-form-error'} role="status" data-testid="token-copied">
            {copied === 'yes' ? t('channels.token.copied') : t('channels.token.copyFailed')}
          </span>
        )}
        <button type="button" className="adm-btn" onClick={props.onClose} data-testid="token-close">
          {t('channels.token.saved')}
        </button>
      </div>
    </div>
  );
}

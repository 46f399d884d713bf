// «Аккаунты (N)»: tick the accounts whose chats the operator sees; kept on the server.
import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { useSession } from '../../shared/session/store';
import { toggleHidden } from './conversations';

export function AccountsPanel(props: { onClose: () => void }) {
  const { t } = useTranslation();
  const accounts = useSession((s) => s.accounts);
  const hidden = useSession((s) => s.prefs.hidden_account_ids);
  const savePrefs = useSession((s) => s.savePrefs);
  const { onClose } = props;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && onClose();
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);
  return (
    <div className="accounts-panel" data-testid="accounts-panel" role="dialog" aria-label={t('accounts.title')}>
      <div className="panel-head">
        <strong>{t('accounts.title')}</strong>
        <button type="button" className="text-btn" onClick={onClose}>
          {t('accounts.close')}
        </button>
      </div>
      {accounts.map((a) => (
        <label key={a.id} className="account-item">
          <input
            type="checkbox"
            data-testid="account-checkbox"
            data-account-id={a.id}
            checked={!hidden.includes(a.id)}
            onChange={() => void savePrefs({ hidden_account_ids: toggleHidden(hidden, a.id) })}
          />
          <span className="account-name">{a.name}</span>
          <span className="account-kind">{t('accounts.kind.' + a.kind)}</span>
        </label>
      ))}
    </div>
  );
}

// What every account has: turning it off and on, and removing it (the server refuses to remove one
// with conversations — history must not vanish — and says so; turning it off is the way then).
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Account } from '../../shared/api/types';
import { ConfirmButton } from '../forms/ConfirmButton';
import { serverMessage } from '../forms/fieldErrors';
import { deleteAccount, setEnabled } from './api';

export function AccountActions(props: {
  account: Account;
  /** How this kind is turned off (an Avito account also unsubscribes its webhook). */
  disable?: (id: number) => Promise<Account>;
  onChanged: (a: Account) => void;
  onDeleted: (id: number) => void;
}) {
  const { t } = useTranslation();
  const a = props.account;
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const run = async (act: () => Promise<void>) => {
    setError(null);
    setBusy(true);
    try {
      await act();
    } catch (e) {
      setError(serverMessage(e));
    } finally {
      setBusy(false);
    }
  };
  const disable = props.disable ?? ((id: number) => setEnabled(id, false));
  return (
    <div className="adm-actions">
      <button
        type="button"
        className="adm-btn"
        disabled={busy}
        data-testid="account-toggle"
        onClick={() => void run(async () => props.onChanged(a.enabled ? await disable(a.id) : await setEnabled(a.id, true)))}
      >
        {a.enabled ? t('channels.disable') : t('channels.enable')}
      </button>
      <ConfirmButton
        label={t('channels.delete')}
        question={t('channels.deleteQuestion', { name: a.name })}
        testId="account-delete"
        disabled={busy}
        onConfirm={() =>
          run(async () => {
            await deleteAccount(a.id);
            props.onDeleted(a.id);
          })
        }
      />
      {error && (
        <p className="adm-form-error" role="alert" data-testid="account-error">
          {error}
        </p>
      )}
    </div>
  );
}

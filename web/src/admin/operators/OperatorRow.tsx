// One operator in the list: role, whether they can sign in, and a new password. Turning one off
// ends their sessions on the server at once (the open messenger drops to the login screen on its
// next request). An admin cannot turn off or demote themselves.
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Operator, Role } from '../../shared/api/types';
import { formatDateTime } from '../workflows/format';
import { ConfirmButton } from '../forms/ConfirmButton';
import { serverMessage } from '../forms/fieldErrors';
import type { OperatorPatch } from './api';
import { selfLimits } from './operatorForm';
import { PasswordReset } from './PasswordReset';

export function OperatorRow(props: { operator: Operator; isSelf: boolean; onUpdate: (id: number, patch: OperatorPatch) => Promise<Operator>; onChanged: (op: Operator) => void }) {
  const { t } = useTranslation();
  const op = props.operator;
  const limits = selfLimits(props.isSelf);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [resetting, setResetting] = useState(false);
  const [busy, setBusy] = useState(false);

  const change = async (patch: OperatorPatch, done?: string) => {
    setError(null);
    setNotice(null);
    setBusy(true);
    try {
      props.onChanged(await props.onUpdate(op.id, patch));
      if (done) setNotice(done);
    } catch (e) {
      setError(serverMessage(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <tr className={op.active ? '' : 'off'} data-testid="operator-row" data-operator-id={op.id} data-login={op.login}>
      <td>
        <strong>{op.display_name}</strong>
        {props.isSelf && <span className="adm-badge"> {t('operators.you')}</span>}
        <div className="adm-meta">
          {op.login} · {t('operators.since', { at: formatDateTime(op.created_at) })} ·{' '}
          <span data-testid="operator-seen">
            {op.last_seen_at ? t('operators.seen', { at: formatDateTime(op.last_seen_at) }) : t('operators.neverSeen')}
          </span>
        </div>
      </td>
      <td>
        <select
          aria-label={t('operators.role')}
          value={op.role}
          disabled={busy || !limits.mayDemote}
          title={limits.mayDemote ? undefined : t('operators.selfHint')}
          onChange={(e) => void change({ role: e.target.value as Role })}
          data-testid="operator-role-select"
        >
          <option value="operator">{t('operators.roles.operator')}</option>
          <option value="admin">{t('operators.roles.admin')}</option>
        </select>
      </td>
      <td>
        <span className={'adm-badge' + (op.active ? ' ok' : '')} data-testid="operator-state">
          {op.active ? t('operators.active') : t('operators.inactive')}
        </span>
      </td>
      <td>
        <div className="adm-actions">
          {op.active ? (
            <ConfirmButton
              label={t('operators.deactivate')}
              question={t('operators.deactivateQuestion', { name: op.display_name })}
              disabled={busy || !limits.mayDeactivate}
              onConfirm={() => change({ active: false }, t('operators.deactivated'))}
              testId="operator-deactivate"
            />
          ) : (
            <button type="button" className="adm-btn" disabled={busy} onClick={() => void change({ active: true })} data-testid="operator-activate">
              {t('operators.activate')}
            </button>
          )}
          {!resetting && (
            <button type="button" className="adm-btn" onClick={() => setResetting(true)} data-testid="operator-reset">
              {t('operators.resetPassword')}
            </button>
          )}
        </div>
        {resetting && (
          <PasswordReset
            onReset={async (password) => {
              props.onChanged(await props.onUpdate(op.id, { password }));
              setNotice(t('operators.passwordSet'));
            }}
            onClose={() => setResetting(false)}
          />
        )}
        {props.isSelf && <p className="adm-hint">{t('operators.selfHint')}</p>}
        {notice && (
          <p className="adm-notice" role="status" data-testid="operator-notice">
            {notice}
          </p>
        )}
        {error && (
          <p className="adm-form-error" role="alert" data-testid="operator-error">
            {error}
          </p>
        )}
      </td>
    </tr>
  );
}

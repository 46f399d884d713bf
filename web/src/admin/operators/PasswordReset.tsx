// A new password for an operator, set by an admin. The server ends the operator's sessions with
// it: they sign in again with the new one.
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Field } from '../forms/Field';
import { serverMessage } from '../forms/fieldErrors';
import { PASSWORD_MAX, PASSWORD_MIN, passwordError } from './operatorForm';

export function PasswordReset(props: { onReset: (password: string) => Promise<void>; onClose: () => void }) {
  const { t } = useTranslation();
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const submit = async () => {
    const wrong = passwordError(password, t);
    if (wrong) {
      setError(wrong);
      return;
    }
    setBusy(true);
    try {
      await props.onReset(password);
      props.onClose();
    } catch (e) {
      setError(serverMessage(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form
      className="adm-inline-form"
      data-testid="password-reset"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <Field name="password" label={t('operators.newPassword')} error={error} hint={t('operators.passwordPolicy', { min: PASSWORD_MIN, max: PASSWORD_MAX }) + ' ' + t('operators.resetEndsSessions')}>
        {(c) => (
          <input
            {...c}
            type="password"
            autoComplete="new-password"
            value={password}
            onChange={(e) => {
              setPassword(e.target.value);
              setError(undefined);
            }}
            data-testid="password-reset-input"
          />
        )}
      </Field>
      <button type="submit" className="adm-btn adm-primary" disabled={busy} data-testid="password-reset-submit">
        {t('operators.setPassword')}
      </button>
      <button type="button" className="adm-btn" onClick={props.onClose}>
        {t('adminForms.cancel')}
      </button>
    </form>
  );
}

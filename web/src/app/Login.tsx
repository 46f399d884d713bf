// Signing in, and the notice shown when the server ended the session behind the app's back.
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { errorText } from '../shared/api/errors';
import { useSession } from '../shared/session/store';

export function Login() {
  const { t } = useTranslation();
  const [login, setLogin] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  return (
    <div className="login-page">
      <form
        className="login-form"
        data-testid="login-form"
        onSubmit={(e) => {
          e.preventDefault();
          setBusy(true);
          setError(null);
          useSession
            .getState()
            .login(login.trim(), password)
            .catch((err: unknown) => setError(errorText(err)))
            .finally(() => setBusy(false));
        }}
      >
        <h1>{t('app.title')}</h1>
        <p className="login-sub">{t('login.title')}</p>
        <label>
          {t('login.login')}
          <input data-testid="login-input" autoComplete="username" value={login} onChange={(e) => setLogin(e.target.value)} required autoFocus />
        </label>
        <label>
          {t('login.password')}
          <input data-testid="password-input" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required />
        </label>
        {error && (
          <div className="login-error" data-testid="login-error" role="alert">
            {error}
          </div>
        )}
        <button type="submit" data-testid="login-submit" disabled={busy}>
          {busy ? t('login.submitting') : t('login.submit')}
        </button>
      </form>
    </div>
  );
}

export function SessionExpired(props: { onRelogin: () => void }) {
  const { t } = useTranslation();
  return (
    <div className="login-page">
      <div className="login-form" data-testid="session-expired" role="alertdialog">
        <h1>{t('session.expiredTitle')}</h1>
        <p>{t('session.expiredText')}</p>
        <button type="button" data-testid="relogin-button" onClick={props.onRelogin}>
          {t('session.relogin')}
        </button>
      </div>
    </div>
  );
}

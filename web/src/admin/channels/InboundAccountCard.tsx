// An API account or a voice line: where its messages come in and with which token, a new token
// (the old one stops working at once), its callback URL, and the switches every account has.
// A voice line also shows and edits its settings (VoiceLineSettings).
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Account } from '../../shared/api/types';
import { formatDateTime } from '../workflows/format';
import { ConfirmButton } from '../forms/ConfirmButton';
import { Field } from '../forms/Field';
import { serverMessage } from '../forms/fieldErrors';
import { AccountActions } from './AccountActions';
import { VoiceLineSettings } from './VoiceLineSettings';
import { rotateToken, setCallbackUrl } from './api';
import { inboundEndpoint } from './accounts';
import { isHttpUrl } from './inboundAccount';
import { TokenOnce } from './TokenOnce';

export function InboundAccountCard(props: { account: Account; freshToken?: string | null; onChanged: (a: Account) => void; onDeleted: (id: number) => void }) {
  const { t } = useTranslation();
  const a = props.account;
  const [token, setToken] = useState<string | null>(props.freshToken ?? null);
  const [error, setError] = useState<string | null>(null);
  const [url, setUrl] = useState(a.callback_url ?? '');
  const [urlError, setUrlError] = useState<string | undefined>();
  const [saved, setSaved] = useState(false);

  const rotate = async () => {
    setError(null);
    try {
      const r = await rotateToken(a.id);
      props.onChanged(r.account);
      setToken(r.inbound_token ?? null);
    } catch (e) {
      setError(serverMessage(e));
    }
  };

  const saveUrl = async () => {
    setSaved(false);
    const v = url.trim();
    if (v && !isHttpUrl(v)) {
      setUrlError(t('channels.api.urlInvalid'));
      return;
    }
    try {
      props.onChanged(await setCallbackUrl(a.id, v));
      setUrlError(undefined);
      setSaved(true);
    } catch (e) {
      setUrlError(serverMessage(e));
    }
  };

  return (
    <article className={'adm-card' + (a.enabled ? '' : ' off')} data-testid={`${a.kind}-account`} data-account-id={a.id}>
      <div className="adm-card-head">
        <h3>{a.name}</h3>
        <span className={'adm-badge' + (a.enabled ? ' ok' : '')} data-testid="account-state">
          {a.enabled ? t('channels.enabled') : t('channels.disabled')}
        </span>
        <span className={'adm-badge' + (a.has_inbound_token ? '' : ' warn')} data-testid="token-state">
          {a.has_inbound_token ? t('channels.token.set') : t('channels.token.none')}
        </span>
        <span className="adm-meta">{t('channels.createdAt', { at: formatDateTime(a.created_at) })}</span>
      </div>
      {a.kind === 'api' && (
        <p className="adm-hint" data-testid="inbound-endpoint">
          {t('channels.api.endpoint')} <code>POST {inboundEndpoint(window.location.origin, a.id)}</code> · <code>Authorization: Bearer …</code>
        </p>
      )}
      {a.kind === 'voice' && <p className="adm-hint">{t('channels.voice.tokenUse')}</p>}
      {a.kind === 'voice' && <VoiceLineSettings account={a} onChanged={props.onChanged} />}
      {token && <TokenOnce token={token} onClose={() => setToken(null)} />}
      <div className="adm-actions">
        <ConfirmButton label={t('channels.token.rotate')} question={t('channels.token.rotateQuestion')} onConfirm={rotate} testId="token-rotate" />
        {error && (
          <p className="adm-form-error" role="alert">
            {error}
          </p>
        )}
      </div>
      {a.kind === 'api' && (
        <form
          className="adm-inline-form"
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            void saveUrl();
          }}
        >
          <Field name="callback_url" label={t('channels.api.callbackUrl')} error={urlError} hint={t('channels.api.callbackClear')}>
            {(c) => (
              <input
                {...c}
                type="url"
                value={url}
                placeholder="https://"
                onChange={(e) => {
                  setUrl(e.target.value);
                  setSaved(false);
                  setUrlError(undefined);
                }}
                data-testid="callback-edit"
              />
            )}
          </Field>
          <button type="submit" className="adm-btn" disabled={url.trim() === (a.callback_url ?? '')} data-testid="callback-save">
            {t('adminForms.save')}
          </button>
          {saved && <span className="adm-notice">{t('adminForms.saved')}</span>}
        </form>
      )}
      <AccountActions account={a} onChanged={props.onChanged} onDeleted={props.onDeleted} />
    </article>
  );
}

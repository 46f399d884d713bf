// The status of one Avito account: its ids, its token, the last webhook, sync and poll, and the
// newest error — what this server saw since it started. Asked again whenever `refresh` changes.
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { formatDateTime } from '../workflows/format';
import { serverMessage } from '../forms/fieldErrors';
import { avitoStatus, type AvitoAccountStatus } from './api';
import { statusLines } from './avitoStatus';

export function AvitoStatusBlock(props: { accountId: number; refresh: string }) {
  const { t } = useTranslation();
  const [status, setStatus] = useState<AvitoAccountStatus | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    avitoStatus(props.accountId)
      .then((s) => {
        if (!live) return;
        setStatus(s);
        setError(null);
      })
      .catch((e) => live && setError(serverMessage(e)));
    return () => {
      live = false;
    };
  }, [props.accountId, props.refresh]);

  if (error) return <p className="adm-form-error" data-testid="avito-status-error">{t('channels.status.failed', { error })}</p>;
  if (!status) return <p className="adm-hint">{t('channels.status.loading')}</p>;
  return (
    <div className="adm-status" data-testid="avito-status">
      <p className="adm-meta">
        {t('channels.status.ids', { user: status.user_id, client: status.client_id })}
        {status.has_refresh_token ? ` · ${t('channels.status.refreshToken')}` : ''}
      </p>
      <ul>
        {statusLines(status, formatDateTime).map((l) => (
          <li key={l.key} data-testid={`avito-status-${l.key}`} data-state={l.variant}>
            <span className={'adm-badge' + (l.tone === 'ok' ? ' ok' : l.tone === 'bad' ? ' bad' : l.tone === 'warn' ? ' warn' : '')}>{t(`channels.status.${l.key}.label`)}</span>{' '}
            {t(`channels.status.${l.key}.${l.variant}`, { ...l.values, defaultValue: String(l.values.error ?? l.variant) })}
          </li>
        ))}
      </ul>
      <p className="adm-hint">{t('channels.status.since', { at: formatDateTime(status.since) })}</p>
    </div>
  );
}

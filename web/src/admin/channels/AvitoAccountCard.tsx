// One Avito account: its status (ids, token, last webhook, sync and poll, newest error), whether
// Avito delivers its messages to us (the webhook, asked of Avito each time the card opens),
// importing its history, looking for messages a webhook missed, and the switches every account has.
import { useCallback, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Account } from '../../shared/api/types';
import { formatDateTime } from '../workflows/format';
import { serverMessage } from '../forms/fieldErrors';
import { AccountActions } from './AccountActions';
import { AvitoStatusBlock } from './AvitoStatusBlock';
import { disconnectAvito, pollAvito, resubscribe, syncAvito, webhookHealth } from './api';
import { type WebhookVerdict, webhookVerdict } from './accounts';

type Health = { kind: 'loading' } | { kind: 'known'; verdict: WebhookVerdict } | { kind: 'failed'; error: string };

export function AvitoAccountCard(props: { account: Account; onChanged: (a: Account) => void; onDeleted: (id: number) => void }) {
  const { t } = useTranslation();
  const a = props.account;
  const [health, setHealth] = useState<Health>({ kind: 'loading' });
  const [busy, setBusy] = useState<'sync' | 'poll' | 'webhook' | null>(null);
  const [result, setResult] = useState<{ text: string; failed: boolean } | null>(null);
  /** Bumped after every action, so the status block asks again. */
  const [statusTick, setStatusTick] = useState(0);

  const checkWebhook = useCallback(
    async (fetcher: (id: number) => ReturnType<typeof webhookHealth> = webhookHealth) => {
      setHealth({ kind: 'loading' });
      try {
        setHealth({ kind: 'known', verdict: webhookVerdict(await fetcher(a.id), a.id) });
      } catch (e) {
        setHealth({ kind: 'failed', error: serverMessage(e) });
      }
    },
    [a.id],
  );
  useEffect(() => {
    void checkWebhook();
  }, [checkWebhook, a.enabled]);

  const act = async (what: 'sync' | 'poll', run: () => Promise<string>) => {
    setBusy(what);
    setResult(null);
    try {
      setResult({ text: await run(), failed: false });
    } catch (e) {
      setResult({ text: serverMessage(e), failed: true });
    } finally {
      setBusy(null);
      setStatusTick((n) => n + 1);
    }
  };

  return (
    <article className={'adm-card' + (a.enabled ? '' : ' off')} data-testid="avito-account" data-account-id={a.id}>
      <div className="adm-card-head">
        <h3>{a.name}</h3>
        <span className={'adm-badge' + (a.enabled ? ' ok' : '')} data-testid="account-state">
          {a.enabled ? t('channels.enabled') : t('channels.disabled')}
        </span>
        <span className="adm-meta">{t('channels.connectedAt', { at: formatDateTime(a.created_at) })}</span>
      </div>

      <AvitoStatusBlock accountId={a.id} refresh={`${statusTick}:${a.enabled}`} />

      <div className="adm-actions" data-testid="webhook">
        <span>{t('channels.webhook.title')}:</span>
        {health.kind === 'loading' && <span className="adm-badge">{t('channels.webhook.checking')}</span>}
        {health.kind === 'failed' && (
          <span className="adm-badge bad" data-testid="webhook-state" data-state="unknown" title={health.error}>
            {t('channels.webhook.unknown')}: {health.error}
          </span>
        )}
        {health.kind === 'known' && (
          <>
            <span className={'adm-badge ' + (health.verdict.state === 'subscribed' ? 'ok' : 'warn')} data-testid="webhook-state" data-state={health.verdict.state}>
              {t(`channels.webhook.${health.verdict.state}`)}
            </span>
            {health.verdict.pending > 0 && <span className="adm-hint">{t('channels.webhook.pending', { count: health.verdict.pending })}</span>}
            {health.verdict.others.length > 0 && <span className="adm-hint">{t('channels.webhook.others', { urls: health.verdict.others.join(', ') })}</span>}
          </>
        )}
        <button type="button" className="adm-btn" disabled={busy !== null || health.kind === 'loading'} onClick={() => void checkWebhook()} data-testid="webhook-check">
          {t('channels.webhook.check')}
        </button>
        {a.enabled && (
          <button
            type="button"
            className="adm-btn"
            disabled={busy !== null}
            data-testid="webhook-resubscribe"
            onClick={async () => {
              setBusy('webhook');
              await checkWebhook(resubscribe);
              setBusy(null);
            }}
          >
            {t('channels.webhook.resubscribe')}
          </button>
        )}
      </div>

      {a.enabled && (
        <div className="adm-actions">
          <button
            type="button"
            className="adm-btn"
            disabled={busy !== null}
            data-testid="avito-sync"
            onClick={() =>
              void act('sync', async () => {
                const s = await syncAvito(a.id);
                return t('channels.sync.done', { chats: s.chats, created: s.messages_created, skipped: s.messages_skipped, conversations: s.conversations_created });
              })
            }
          >
            {busy === 'sync' ? t('channels.sync.running') : t('channels.sync.button')}
          </button>
          <button
            type="button"
            className="adm-btn"
            disabled={busy !== null}
            data-testid="avito-poll"
            onClick={() => void act('poll', async () => t('channels.poll.done', { count: (await pollAvito(a.id)).recovered }))}
          >
            {busy === 'poll' ? t('channels.poll.running') : t('channels.poll.button')}
          </button>
          {result && (
            <span className={result.failed ? 'adm-form-error' : 'adm-notice'} role="status" data-testid="avito-result">
              {result.text}
            </span>
          )}
        </div>
      )}

      <AccountActions account={a} disable={disconnectAvito} onChanged={props.onChanged} onDeleted={props.onDeleted} />
    </article>
  );
}

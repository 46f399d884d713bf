// «Каналы»: the Avito accounts (connected with their API credentials), the API accounts other
// systems post messages through, and the voice lines. Changes reach the messenger's account list
// at once (the session store keeps the same list).
import { useCallback, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Account } from '../../shared/api/types';
import { useSession } from '../../shared/session/store';
import { serverMessage } from '../forms/fieldErrors';
import { AvitoAccountCard } from './AvitoAccountCard';
import { AvitoConnectForm } from './AvitoConnectForm';
import { InboundAccountCard } from './InboundAccountCard';
import { InboundAccountForm } from './InboundAccountForm';
import { connectAvito, createAccount, listAccounts } from './api';
import { accountsByKind, replaceAccount } from './accounts';
import '../forms/forms.css';

export function ChannelsPage() {
  const { t } = useTranslation();
  const [accounts, setAccounts] = useState<Account[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  /** The token of an account just created, shown once on its card. */
  const [fresh, setFresh] = useState<{ id: number; token: string } | null>(null);

  const load = useCallback(async () => {
    setLoadError(null);
    try {
      setAccounts(await listAccounts());
    } catch (e) {
      setLoadError(serverMessage(e));
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);

  // The messenger's list follows this one (names in the inbox, «Аккаунты (N)»).
  useEffect(() => {
    if (accounts) useSession.setState({ accounts });
  }, [accounts]);

  const update = (next: (list: Account[]) => Account[]) => setAccounts((list) => next(list ?? []));
  const changed = (a: Account) => update((list) => replaceAccount(list, a));
  const deleted = (id: number) => update((list) => list.filter((a) => a.id !== id));

  const byKind = accountsByKind(accounts ?? []);
  const list = (kind: 'avito' | 'api' | 'voice') => {
    if (!accounts) return null;
    if (byKind[kind].length === 0) return <p className="adm-empty">{t(`channels.${kind}.none`)}</p>;
    return (
      <div className="adm-cards" data-testid={`${kind}-accounts`}>
        {byKind[kind].map((a) =>
          kind === 'avito' ? (
            <AvitoAccountCard key={a.id} account={a} onChanged={changed} onDeleted={deleted} />
          ) : (
            <InboundAccountCard key={a.id} account={a} freshToken={fresh?.id === a.id ? fresh.token : null} onChanged={changed} onDeleted={deleted} />
          ),
        )}
      </div>
    );
  };

  return (
    <section className="admin-section" data-testid="admin-section" data-section="channels">
      <h1>{t('admin.sections.channels.title')}</h1>
      <p className="adm-intro">{t('channels.intro')}</p>
      {!accounts && !loadError && <p className="adm-loading">{t('adminForms.loading')}</p>}
      {loadError && (
        <div className="adm-actions">
          <p className="adm-form-error" role="alert" data-testid="channels-error">
            {loadError}
          </p>
          <button type="button" className="adm-btn" onClick={() => void load()}>
            {t('adminForms.retry')}
          </button>
        </div>
      )}
      {notice && (
        <p className="adm-notice" role="status" data-testid="channels-notice">
          {notice}
        </p>
      )}

      <div className="adm-block">
        <h2>{t('channels.avito.title')}</h2>
        {list('avito')}
      </div>
      <div className="adm-block">
        <AvitoConnectForm
          onConnect={connectAvito}
          onConnected={(c) => {
            changed(c.account);
            setNotice(c.subscribed ? t('channels.avito.connected', { name: c.account.name }) : t('channels.avito.connectedNoWebhook', { name: c.account.name, why: c.subscribe_error ?? '' }));
          }}
        />
      </div>

      <div className="adm-block">
        <h2>{t('channels.api.title')}</h2>
        {list('api')}
      </div>
      <div className="adm-block">
        <InboundAccountForm
          kind="api"
          onCreate={createAccount}
          onCreated={(r) => {
            changed(r.account);
            if (r.inbound_token) setFresh({ id: r.account.id, token: r.inbound_token });
          }}
        />
      </div>

      <div className="adm-block">
        <h2>{t('channels.voice.title')}</h2>
        {list('voice')}
      </div>
      <div className="adm-block">
        <InboundAccountForm
          kind="voice"
          onCreate={createAccount}
          onCreated={(r) => {
            changed(r.account);
            if (r.inbound_token) setFresh({ id: r.account.id, token: r.inbound_token });
          }}
        />
      </div>
    </section>
  );
}

// Published versions (who, when, the note, conversations still inside), a read-only view or a diff
// of any of them against the draft, rollback, and which accounts run this workflow.
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useSession } from '../../shared/session/store';
import { errorText } from '../../shared/api/errors';
import { formatDateTime } from './format';
import { useStudio } from './store';

export function VersionsPanel(p: { onView(version: number | null, mode: 'view' | 'diff'): void; viewing: { version: number; mode: 'view' | 'diff' } | null }) {
  const { t } = useTranslation();
  const versions = useStudio((s) => s.versions);
  const published = useStudio((s) => s.published);
  const rollback = useStudio((s) => s.rollback);
  const [error, setError] = useState<string | null>(null);
  return (
    <div className="wf-panel" data-testid="wf-versions">
      <AccountsPicker />
      <h3>{t('wf.versions.title')}</h3>
      {error && <p className="wf-problem">{error}</p>}
      {versions.length === 0 && <p className="wf-hint">{t('wf.versions.none')}</p>}
      <ul className="wf-version-list">
        {versions.map((v) => (
          <li key={v.version} className={v.version === published ? 'is-published' : ''} data-testid="wf-version" data-version={v.version}>
            <div className="wf-version-head">
              <strong>{t('wf.versions.version', { n: v.version })}</strong>
              {v.version === published && <span className="wf-pill">{t('wf.versions.published')}</span>}
            </div>
            <div className="wf-hint">
              {formatDateTime(v.published_at)} · {v.published_by_name ?? t('wf.versions.system')}
              {v.conversations_in_flight > 0 && <> · {t('wf.versions.inFlight', { count: v.conversations_in_flight })}</>}
            </div>
            {v.note && <div className="wf-version-note">{v.note}</div>}
            <div className="wf-version-actions">
              <button type="button" className="text-btn" onClick={() => p.onView(v.version, 'view')} data-testid="wf-version-view" aria-pressed={p.viewing?.version === v.version && p.viewing.mode === 'view'}>
                {t('wf.versions.view')}
              </button>
              <button type="button" className="text-btn" onClick={() => p.onView(v.version, 'diff')} data-testid="wf-version-diff" aria-pressed={p.viewing?.version === v.version && p.viewing.mode === 'diff'}>
                {t('wf.versions.diff')}
              </button>
              {v.version !== published && (
                <button
                  type="button"
                  className="text-btn"
                  data-testid="wf-version-rollback"
                  onClick={() => {
                    if (!window.confirm(t('wf.versions.rollbackConfirm', { n: v.version }))) return;
                    rollback(v.version).catch((e) => setError(errorText(e)));
                  }}
                >
                  {t('wf.versions.rollback')}
                </button>
              )}
            </div>
          </li>
        ))}
      </ul>
    </div>
  );
}

/** Which accounts' conversations run this workflow; a tick assigns it, untick returns the account to the built-in bot. */
function AccountsPicker() {
  const { t } = useTranslation();
  const accounts = useSession((s) => s.accounts);
  const mine = useStudio((s) => s.accountIds);
  const published = useStudio((s) => s.published);
  const assign = useStudio((s) => s.assign);
  const [busy, setBusy] = useState<number | null>(null);
  // The tick shows at once, as asked, until the server has answered (then `mine` says).
  const [asked, setAsked] = useState<{ id: number; on: boolean } | null>(null);
  const [error, setError] = useState<string | null>(null);
  return (
    <div className="wf-accounts" data-testid="wf-accounts">
      <h3>{t('wf.accounts.title')}</h3>
      <p className="wf-hint">{published === null ? t('wf.accounts.unpublished') : t('wf.accounts.hint')}</p>
      {error && <p className="wf-problem">{error}</p>}
      {accounts.map((a) => (
        <label key={a.id} className="wf-check">
          <input
            type="checkbox"
            checked={asked?.id === a.id ? asked.on : mine.includes(a.id)}
            disabled={busy !== null}
            data-testid="wf-account"
            data-account-id={a.id}
            onChange={(e) => {
              const on = e.target.checked;
              setBusy(a.id);
              setAsked({ id: a.id, on });
              setError(null);
              assign(a.id, on)
                .catch((err) => setError(errorText(err)))
                .finally(() => {
                  setBusy(null);
                  setAsked(null);
                });
            }}
          />
          <span>{a.name}</span> <span className="wf-hint">{a.kind}</span>
        </label>
      ))}
    </div>
  );
}

// Every published version: who and when, the note, the accuracy measured; its figures, its
// `bot.json`, and rollback (publishing an older one again as the next version).
import { useTranslation } from 'react-i18next';
import { formatDateTime } from '../workflows/format';
import { exportUrl } from './api';
import { pct } from './logic/report';
import { useBot } from './store';

export function VersionsList() {
  const { t } = useTranslation();
  const versions = useBot((s) => s.versions);
  const status = useBot((s) => s.status);
  const selected = useBot((s) => s.selected);
  const select = useBot((s) => s.select);
  const rollback = useBot((s) => s.rollback);
  const busy = useBot((s) => s.busy);
  const latest = status?.latest?.version ?? null;
  return (
    <div className="adm-block bot-block" data-testid="bot-versions">
      <h2>{t('bot.versions.title')}</h2>
      {versions.length === 0 && <p className="adm-empty">{t('bot.versions.none')}</p>}
      <ul className="bot-version-list">
        {versions.map((v) => (
          <li key={v.version} className={'bot-version' + (v.version === selected ? ' selected' : '')} data-testid="bot-version" data-version={v.version}>
            <div className="bot-version-head">
              <strong>{t('bot.versions.version', { n: v.version })}</strong>
              {v.version === status?.running && <span className="adm-badge ok">{t('bot.versions.running')}</span>}
              {v.version === status?.training && <span className="adm-badge warn">{t('bot.versions.training')}</span>}
              {v.version === status?.failed?.version && <span className="adm-badge bad">{t('bot.versions.failed')}</span>}
              <span className="bot-version-accuracy" data-testid="bot-version-accuracy">
                {typeof v.accuracy === 'number' ? t('bot.versions.accuracy', { value: pct(v.accuracy) }) : t('bot.versions.noAccuracy')}
              </span>
            </div>
            <div className="adm-meta">
              <span>{formatDateTime(v.published_at)}</span>
              <span>{v.published_by_name ?? (v.published_by ? t('bot.versions.deleted', { id: v.published_by }) : t('bot.versions.system'))}</span>
            </div>
            {v.note && <div className="bot-version-note">{v.note}</div>}
            <div className="adm-actions">
              <button type="button" className="text-btn" onClick={() => void select(v.version)} aria-pressed={v.version === selected} data-testid="bot-version-figures">
                {t('bot.versions.figures')}
              </button>
              <a className="text-btn" href={exportUrl(v.version)} download={`bot-v${v.version}.json`} data-testid="bot-version-export">
                {t('bot.versions.export')}
              </a>
              {latest !== null && v.version < latest && (
                <button
                  type="button"
                  className="text-btn"
                  disabled={busy !== null}
                  data-testid="bot-version-rollback"
                  onClick={() => {
                    if (window.confirm(t('bot.versions.rollbackConfirm', { n: v.version }))) void rollback(v.version);
                  }}
                >
                  {t('bot.versions.rollback')}
                </button>
              )}
            </div>
          </li>
        ))}
      </ul>
    </div>
  );
}

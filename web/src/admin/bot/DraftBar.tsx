// The top of the «Бот» screen: which version answers customers (and which one is training), the
// draft's state with save / discard / publish and the import of a bot.json, a conflict with another
// admin's save, and every problem of the configuration, each a link to its field.
import { useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ConfirmButton } from '../forms/ConfirmButton';
import { formatDateTime } from '../workflows/format';
import { intentsOf, str, type BotDocument } from './logic/document';
import { parseField, problemText, type Problem } from './logic/problems';
import { isDirty, useBot } from './store';

export function StatusLine() {
  const { t } = useTranslation();
  const status = useBot((s) => s.status);
  const latestPending = useBot((s) => {
    const l = s.status?.latest;
    return !!l && typeof l.accuracy !== 'number' && s.status?.training !== l.version && s.status?.failed?.version !== l.version && !s.details[l.version]?.report;
  });
  if (!status) return null;
  const { running, training, failed, latest } = status;
  return (
    <div className="bot-status" data-testid="bot-status" data-running={running} data-training={training ?? ''} role="status">
      {running > 0 ? (
        <span className="bot-status-running" data-testid="bot-status-running">
          <span className="bot-dot ok" /> {t('bot.status.running', { n: running })}
        </span>
      ) : (
        <span data-testid="bot-status-running">
          <span className="bot-dot" /> {t('bot.status.none')}
        </span>
      )}
      {training !== null && training !== undefined && (
        <span className="bot-status-training" data-testid="bot-status-training">
          <span className="bot-spinner" aria-hidden /> {t('bot.status.training', { n: training })}
        </span>
      )}
      {latestPending && latest && latest.version === running && <span className="adm-hint">{t('bot.status.measuring', { n: latest.version })}</span>}
      {failed && (
        <span className="bot-status-failed" data-testid="bot-status-failed">
          {t('bot.status.failed', { n: failed.version, error: failed.error })}
        </span>
      )}
    </div>
  );
}

export function DraftBar(p: { doc: BotDocument }) {
  const { t } = useTranslation();
  const s = useBot();
  const [note, setNote] = useState('');
  const file = useRef<HTMLInputElement>(null);
  const dirty = isDirty(s);
  const working = s.busy !== null;
  const hasDraft = s.revision !== null;
  const importFile = async (f: File) => {
    if (dirty && !window.confirm(t('bot.importDiscards'))) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(await f.text());
    } catch (e) {
      useBot.setState({ error: t('bot.importNotJson', { name: f.name, error: e instanceof Error ? e.message : String(e) }), notice: null });
      return;
    }
    await s.importDocument(parsed);
  };
  return (
    <div className="bot-bar" data-testid="bot-draft-bar">
      <div className="bot-draft-state" data-testid="bot-draft-state" data-dirty={dirty} data-revision={s.revision ?? ''}>
        {hasDraft
          ? t('bot.draft.saved', { n: s.basedOn ?? '—', at: s.draftUpdatedAt ? formatDateTime(s.draftUpdatedAt) : '' })
          : t('bot.draft.none', { n: s.basedOn ?? '—' })}
        {dirty && <span className="adm-badge warn">{t('bot.draft.unsaved')}</span>}
      </div>
      <div className="adm-actions">
        <button type="button" className="adm-btn" disabled={working || !dirty} onClick={() => void s.save()} data-testid="bot-save">
          {s.busy === 'save' ? t('bot.saving') : t('bot.save')}
        </button>
        <ConfirmButton label={t('bot.discard')} question={t('bot.discardConfirm')} disabled={working || (!hasDraft && !dirty)} onConfirm={() => s.discard()} testId="bot-discard" />
        <label className="adm-btn bot-import">
          {t('bot.import')}
          <input
            ref={file}
            type="file"
            accept=".json,application/json"
            disabled={working}
            data-testid="bot-import"
            onChange={(e) => {
              const f = e.target.files?.[0];
              if (f) void importFile(f).finally(() => file.current && (file.current.value = ''));
            }}
          />
        </label>
        <span className="bot-publish">
          <input className="bot-note" value={note} maxLength={500} placeholder={t('bot.notePlaceholder')} aria-label={t('bot.note')} onChange={(e) => setNote(e.target.value)} data-testid="bot-note" />
          <button
            type="button"
            className="adm-btn adm-primary"
            disabled={working}
            data-testid="bot-publish"
            onClick={async () => {
              if (await s.publish(note)) setNote('');
            }}
          >
            {s.busy === 'publish' ? t('bot.publishing') : t('bot.publish')}
          </button>
        </span>
      </div>
      {s.conflict && (
        <div className="bot-conflict" role="alert" data-testid="bot-conflict">
          <span>{t('bot.conflict.text')}</span>
          <button type="button" className="adm-btn" onClick={() => void s.reloadDraft()} data-testid="bot-conflict-reload">
            {t('bot.conflict.reload')}
          </button>
          <button type="button" className="adm-btn" onClick={() => void s.overwrite()} data-testid="bot-conflict-overwrite">
            {t('bot.conflict.overwrite')}
          </button>
        </div>
      )}
      {s.error && (
        <p className="adm-form-error" role="alert" data-testid="bot-error">
          {s.error}
        </p>
      )}
      {s.notice && (
        <p className="adm-notice" role="status" data-testid="bot-notice">
          {s.notice}
        </p>
      )}
      {s.problems.length > 0 && <ProblemList problems={s.problems} doc={p.doc} from={s.problemsFrom} />}
    </div>
  );
}

function ProblemList(p: { problems: Problem[]; doc: BotDocument; from: 'draft' | 'publish' | 'import' | null }) {
  const { t } = useTranslation();
  const toggle = useBot((s) => s.toggleIntent);
  const intents = intentsOf(p.doc);
  const where = (field: string): string => {
    const { intent, rest } = parseField(field);
    if (intent !== null) {
      const i = intents[intent];
      const name = i ? str(i.name) || t('bot.intents.unnamed') : `#${intent + 1}`;
      return rest ? t('bot.where.intentField', { name, field: t(`bot.where.fields.${rest}`, { defaultValue: rest }) }) : t('bot.where.intent', { name });
    }
    if (!rest) return t('bot.where.document');
    return t(`bot.where.fields.${rest}`, { defaultValue: rest });
  };
  const go = (field: string) => {
    const { intent } = parseField(field);
    if (intent !== null) toggle(intent, true);
    if (['fallback', 'fallback_again', 'handoff_message', 'upset_message', 'urgent_message', 'attachment_reply'].includes(field)) {
      const d = document.querySelector<HTMLDetailsElement>('[data-testid="bot-texts"]');
      if (d) d.open = true;
    }
    requestAnimationFrame(() => {
      const el = document.querySelector(`[data-testid="field"][data-field="${CSS.escape(field)}"]`) ?? (intent !== null ? document.querySelector(`[data-testid="bot-intent"][data-index="${intent}"]`) : null);
      el?.scrollIntoView({ block: 'center', behavior: 'smooth' });
      el?.querySelector<HTMLElement>('input, textarea, select')?.focus({ preventScroll: true });
    });
  };
  return (
    <div className="bot-problems" data-testid="bot-problems" data-from={p.from ?? ''}>
      <strong>{p.from === 'draft' ? t('bot.problems.draft', { count: p.problems.length }) : t('bot.problems.refused', { count: p.problems.length })}</strong>
      <ul>
        {p.problems.map((x, k) => (
          <li key={k} data-testid="bot-problem" data-field={x.field}>
            <button type="button" className="text-btn" onClick={() => go(x.field)}>
              {where(x.field)}
            </button>
            : {problemText(t, x.message)}
          </li>
        ))}
      </ul>
    </div>
  );
}

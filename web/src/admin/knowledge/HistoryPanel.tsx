// An article's versions, newest first: who made each, when and how (the editor, an import, a
// restore), what it changed — the text as a word diff — and a way to bring an older one back.
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { formatDateTime } from '../workflows/format';
import { TextDiff } from './TextDiff';
import { categoryTitle, useKbCategories } from './categories';
import type { KbRevision } from './api';
import { restoreChanges, revisionChanges, withPrevious } from './logic/revisions';

export function HistoryPanel(props: {
  history: KbRevision[] | null;
  error: string | null;
  onRestore: (version: number) => Promise<void>;
}) {
  const { t } = useTranslation();
  const [open, setOpen] = useState<number | null>(null);
  const [busy, setBusy] = useState<number | null>(null);
  if (props.error) return <p className="kb-error">{props.error}</p>;
  if (!props.history) return <p className="kb-hint">{t('kb.loading')}</p>;
  if (props.history.length === 0) return <p className="kb-hint">{t('kb.history.none')}</p>;
  const current = props.history[0];
  return (
    <ol className="kb-history" data-testid="kb-history">
      {withPrevious(props.history).map(({ rev, previous }) => {
        const expanded = open === rev.version || (open === null && rev === current && previous !== undefined);
        return (
          <li key={rev.version} className="kb-revision" data-testid="kb-revision" data-version={rev.version}>
            <button type="button" className="kb-revision-head" onClick={() => setOpen(expanded ? -1 : rev.version)} aria-expanded={expanded}>
              <strong>{t('kb.history.version', { n: rev.version })}</strong>
              {rev === current && <span className="kb-badge">{t('kb.history.current')}</span>}
              <span className="kb-hint">
                {formatDateTime(rev.created_at)} · {rev.author ? (rev.author.name ?? t('kb.history.deletedAuthor', { id: rev.author.id })) : t('kb.history.system')}
              </span>
            </button>
            <p className="kb-revision-how">
              {rev.source === 'restore' && rev.restored_from !== null
                ? t('kb.history.restoredFrom', { n: rev.restored_from })
                : t(`kb.history.source.${rev.source === 'import' ? 'import' : rev.source === 'restore' ? 'restore' : 'editor'}`)}
              {previous === undefined ? ` · ${t('kb.history.created')}` : rev.changed.length > 0 ? ` · ${rev.changed.map((f) => t(`kb.history.field.${f}`)).join(', ')}` : ''}
            </p>
            {expanded && <RevisionChanges rev={rev} previous={previous} />}
            {restoreChanges(rev, current) && (
              <button
                type="button"
                className="kb-secondary"
                disabled={busy !== null}
                data-testid="kb-restore"
                onClick={async () => {
                  if (!window.confirm(t('kb.history.confirmRestore', { n: rev.version }))) return;
                  setBusy(rev.version);
                  try {
                    await props.onRestore(rev.version);
                  } finally {
                    setBusy(null);
                  }
                }}
              >
                {t('kb.history.restore')}
              </button>
            )}
          </li>
        );
      })}
    </ol>
  );
}

function RevisionChanges(props: { rev: KbRevision; previous: KbRevision | undefined }) {
  const { t } = useTranslation();
  const categories = useKbCategories((s) => s.list);
  const c = revisionChanges(props.rev, props.previous);
  if (!props.previous) {
    return <p className="kb-revision-body">{props.rev.body}</p>;
  }
  return (
    <div className="kb-revision-changes" data-testid="kb-revision-changes">
      {c.title && (
        <p>
          {t('kb.history.field.title')}: <del>{c.title.from}</del> → <ins>{c.title.to}</ins>
        </p>
      )}
      {c.category && (
        <p>
          {t('kb.history.field.category')}: <del>{categoryTitle(categories, c.category.from)}</del> → <ins>{categoryTitle(categories, c.category.to)}</ins>
        </p>
      )}
      {c.published && <p>{c.published.to ? t('kb.history.nowPublished') : t('kb.history.nowUnpublished')}</p>}
      {c.tags && (
        <p>
          {t('kb.history.field.tags')}: {c.tags.added.map((x) => <ins key={`+${x}`}>+{x} </ins>)}
          {c.tags.removed.map((x) => (
            <del key={`-${x}`}>−{x} </del>
          ))}
        </p>
      )}
      {c.body && <TextDiff parts={c.body} />}
    </div>
  );
}

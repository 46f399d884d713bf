// An import's preview (a dry run) or its outcome: how many categories and articles each action
// touches, every item with its line or shop id, and every problem at its line.
import { useTranslation } from 'react-i18next';
import type { KbImportResult } from './api';
import { countActions, problemsInOrder } from './logic/importPlan';

const ACTIONS = ['create', 'update', 'unchanged', 'skip'] as const;

export function ImportPreview(props: { result: KbImportResult }) {
  const { t } = useTranslation();
  const r = props.result;
  const articles = countActions(r.articles);
  const categories = countActions(r.categories);
  const problems = problemsInOrder(r.problems);
  return (
    <div className="kb-import-result" data-testid={r.dry_run ? 'kb-import-preview' : 'kb-import-done'}>
      <h3>{r.dry_run ? t('kb.import.previewTitle') : t('kb.import.doneTitle')}</h3>
      <ul className="kb-import-counts" data-testid="kb-import-counts">
        {ACTIONS.map((a) => (
          <li key={a} className={`kb-action-${a}`} data-action={a} data-count={articles[a]}>
            {t(`kb.import.${r.dry_run ? 'articles' : 'articlesDone'}.${a}`)}: <strong>{articles[a]}</strong>
          </li>
        ))}
        {(categories.create > 0 || categories.update > 0) && (
          <li data-testid="kb-import-category-counts">{t('kb.import.categoriesCount', { created: categories.create, updated: categories.update })}</li>
        )}
      </ul>
      {problems.length > 0 && (
        <div className="kb-import-problems" data-testid="kb-import-problems">
          <h4>{t('kb.import.problems', { count: problems.length })}</h4>
          <ul>
            {problems.map((p, i) => (
              <li key={i} data-testid="kb-import-problem" data-line={p.line ?? ''}>
                <strong>{p.line !== null ? t('kb.import.line', { n: p.line }) : p.item !== null ? t('kb.import.item', { n: p.item }) : t('kb.import.file')}</strong>
                {p.field && <span className="kb-hint"> · {p.field}</span>}: {p.message}
              </li>
            ))}
          </ul>
          <p className="kb-hint">{t('kb.import.fixAndRetry')}</p>
        </div>
      )}
      {r.categories.length > 0 && (
        <table className="kb-table kb-table-narrow" data-testid="kb-import-categories">
          <caption>{t('kb.import.categoriesTitle')}</caption>
          <tbody>
            {r.categories.map((c) => (
              <tr key={c.key} data-action={c.action}>
                <td>
                  <ActionBadge action={c.action} />
                </td>
                <td>{c.title}</td>
                <td className="kb-key">{c.key}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {r.articles.length > 0 && (
        <table className="kb-table" data-testid="kb-import-articles">
          <caption>{t('kb.import.articlesTitle')}</caption>
          <thead>
            <tr>
              <th>{t('kb.import.action')}</th>
              <th>{t('kb.editor.title')}</th>
              <th>{t('kb.key')}</th>
              <th>{t('kb.import.where')}</th>
              <th>{t('kb.import.note')}</th>
            </tr>
          </thead>
          <tbody>
            {r.articles.map((a, i) => (
              <tr key={`${a.key}-${i}`} data-testid="kb-import-article" data-key={a.key} data-action={a.action}>
                <td>
                  <ActionBadge action={a.action} />
                </td>
                <td>
                  {a.title || <span className="kb-hint">—</span>}
                  {!a.published && a.action !== 'skip' && <span className="kb-badge kb-badge-off">{t('kb.articles.unpublished')}</span>}
                </td>
                <td className="kb-key">{a.key}</td>
                <td className="kb-hint">
                  {a.line !== null && t('kb.import.line', { n: a.line })}
                  {a.source && ` ${t(`kb.import.source.${a.source.kind}`, { defaultValue: a.source.kind })} #${a.source.id}`}
                </td>
                <td className="kb-hint">{a.reason}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

function ActionBadge(props: { action: string }) {
  const { t } = useTranslation();
  return <span className={`kb-badge kb-action-${props.action}`}>{t(`kb.import.action_${props.action}`)}</span>;
}

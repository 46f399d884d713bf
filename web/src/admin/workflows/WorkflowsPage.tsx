// «Сценарии»: the workflows, which one each account runs, and new ones — empty, from the built-in
// template, or imported from a JSON file exported here (or written by hand in the engine's format).
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router';
import { errorText } from '../../shared/api/errors';
import { useSession } from '../../shared/session/store';
import { formatDateTime } from './format';
import { DocumentError, emptyDocument, isObject, parseDocument } from './logic/document';
import type { TestCase } from './logic/testCases';
import { useStudio } from './store';

export function WorkflowsPage() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const list = useStudio((s) => s.list);
  const listError = useStudio((s) => s.listError);
  const loadList = useStudio((s) => s.loadList);
  const boot = useStudio((s) => s.boot);
  const create = useStudio((s) => s.create);
  const catalogue = useStudio((s) => s.catalogue);
  const accounts = useSession((s) => s.accounts);
  const [name, setName] = useState('');
  const [error, setError] = useState<string | null>(null);
  const file = useRef<HTMLInputElement>(null);

  useEffect(() => {
    void loadList();
    boot().catch(() => undefined);
  }, [loadList, boot]);

  const start = async (content: { name: string; document: ReturnType<typeof emptyDocument>; tests: TestCase[] }) => {
    setError(null);
    try {
      const id = await create(content);
      navigate(`/admin/workflows/${id}`);
    } catch (e) {
      setError(errorText(e));
    }
  };
  const newName = () => name.trim() || t('wf.list.untitled');

  return (
    <section className="admin-section wf-list-page" data-testid="admin-section" data-section="workflows">
      <h1>{t('admin.sections.workflows.title')}</h1>
      <p className="admin-placeholder">{t('wf.list.intro')}</p>
      <div className="wf-create" data-testid="wf-create">
        <input value={name} onChange={(e) => setName(e.target.value)} placeholder={t('wf.list.namePlaceholder')} aria-label={t('wf.list.name')} data-testid="wf-new-name" />
        <button type="button" className="wf-primary" onClick={() => void start({ name: newName(), document: emptyDocument(), tests: [] })} data-testid="wf-new-empty">
          {t('wf.list.newEmpty')}
        </button>
        <button
          type="button"
          className="wf-tool"
          disabled={!catalogue}
          onClick={() =>
            catalogue &&
            void start({
              name: name.trim() || catalogue.template.name,
              document: catalogue.template.document as unknown as ReturnType<typeof emptyDocument>,
              tests: catalogue.template.tests as unknown as TestCase[],
            })
          }
          data-testid="wf-new-template"
        >
          {t('wf.list.newTemplate')}
        </button>
        <button type="button" className="wf-tool" onClick={() => file.current?.click()} data-testid="wf-import">
          {t('wf.list.import')}
        </button>
        <input
          ref={file}
          type="file"
          accept="application/json,.json"
          hidden
          data-testid="wf-import-file"
          onChange={async (e) => {
            const f = e.target.files?.[0];
            e.target.value = '';
            if (!f) return;
            try {
              const text = await f.text();
              const document = parseDocument(text);
              const raw = JSON.parse(text) as unknown;
              const tests = isObject(raw) && Array.isArray(raw.tests) ? (raw.tests as TestCase[]) : [];
              const fromFile = isObject(raw) && typeof raw.name === 'string' ? raw.name : f.name.replace(/(\.workflow)?\.json$/i, '');
              await start({ name: name.trim() || fromFile, document, tests });
            } catch (err) {
              setError(err instanceof DocumentError ? t(`wf.import.${err.message}`) : errorText(err));
            }
          }}
        />
      </div>
      {(error || listError) && <p className="wf-problem" data-testid="wf-list-error">{error ?? listError}</p>}
      <table className="wf-table" data-testid="wf-list">
        <thead>
          <tr>
            <th>{t('wf.list.name')}</th>
            <th>{t('wf.list.published')}</th>
            <th>{t('wf.list.accounts')}</th>
            <th>{t('wf.list.updated')}</th>
          </tr>
        </thead>
        <tbody>
          {list.map((w) => (
            <tr key={w.id} data-testid="wf-row" data-id={w.id}>
              <td>
                <Link to={`/admin/workflows/${w.id}`}>{w.name}</Link>
              </td>
              <td>{w.published_version ? t('wf.versions.version', { n: w.published_version }) : <span className="wf-hint">{t('wf.list.draftOnly')}</span>}</td>
              <td>{w.account_ids.map((id) => accounts.find((a) => a.id === id)?.name ?? `#${id}`).join(', ') || <span className="wf-hint">—</span>}</td>
              <td>{formatDateTime(w.updated_at)}</td>
            </tr>
          ))}
          {list.length === 0 && !listError && (
            <tr>
              <td colSpan={4} className="wf-hint">
                {t('wf.list.none')}
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </section>
  );
}

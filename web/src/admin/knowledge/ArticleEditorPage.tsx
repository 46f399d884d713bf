// One article: its title, key (chosen once, when it is created), category, tags, published state
// and Markdown text with a live preview; saved, deleted, its history with restore, and the check
// run against the unsaved text beside it.
import { useCallback, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useParams, useSearchParams } from 'react-router';
import { ApiError } from '../../shared/api/client';
import { CheckPanel } from './CheckPanel';
import { HistoryPanel } from './HistoryPanel';
import { MarkdownEditor } from './MarkdownEditor';
import { TagsInput } from './TagsInput';
import { useKbCategories } from './categories';
import { articleHistory, deleteArticle, getArticle, KbArticleConflictError, putArticle, restoreArticle, type KbArticle, type KbRevision } from './api';
import { type Choice, type Conflict, resolveConflict, theirText } from './logic/conflict';
import { diffText } from './logic/textDiff';
import { TextDiff } from './TextDiff';
import { checkDraftOf, draftOf, draftProblems, emptyDraft, fieldsOf, isDirty, type ArticleDraft, type DraftField } from './logic/draft';
import { kbErrorText } from './logic/errors';
import { keyFromTitle } from './logic/keys';
import { useUnsavedGuard } from '../../shared/ui/useUnsavedGuard';

type Side = 'history' | 'check';

export function ArticleEditorPage() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const { key: routeKey } = useParams();
  const [params] = useSearchParams();
  const categories = useKbCategories((s) => s.list);
  const reloadCategories = useKbCategories((s) => s.load);
  const isNew = routeKey === undefined;

  const [saved, setSaved] = useState<KbArticle | null>(null);
  const [draft, setDraft] = useState<ArticleDraft>(() => emptyDraft(params.get('category') ?? ''));
  const [keyEdited, setKeyEdited] = useState(false);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [saveError, setSaveError] = useState<{ text: string; field?: string } | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [tried, setTried] = useState(false);
  const [history, setHistory] = useState<KbRevision[] | null>(null);
  const [historyError, setHistoryError] = useState<string | null>(null);
  const [side, setSide] = useState<Side>(isNew ? 'check' : 'history');
  /** The stored version this edit started from: what a save names, so that nobody's save is overwritten unseen. */
  const [base, setBase] = useState(0);
  const [conflict, setConflict] = useState<Conflict | null>(null);

  const loadHistory = useCallback(async (key: string) => {
    try {
      setHistory(await articleHistory(key));
      setHistoryError(null);
    } catch (e) {
      setHistoryError(kbErrorText(e));
    }
  }, []);

  useEffect(() => {
    if (routeKey === undefined) return;
    let live = true;
    setSaved(null);
    setHistory(null);
    getArticle(routeKey)
      .then((a) => {
        if (!live) return;
        setSaved(a);
        setBase(a.version);
        setConflict(null);
        setDraft(draftOf(a));
        setLoadError(null);
      })
      .catch((e) => live && setLoadError(e instanceof ApiError && e.status === 404 ? t('kb.editor.notFound', { key: routeKey }) : kbErrorText(e)));
    void loadHistory(routeKey);
    return () => {
      live = false;
    };
  }, [routeKey, loadHistory, t]);

  // A new article's category: the one asked for in the URL, else the first.
  useEffect(() => {
    if (isNew && !draft.category && categories[0]) setDraft((d) => ({ ...d, category: categories[0]!.key }));
  }, [isNew, draft.category, categories]);

  const dirty = isDirty(draft, saved);
  // Saving navigates to the new article's own URL: that is not leaving the edit.
  useUnsavedGuard(dirty && !busy, t('kb.editor.leaveUnsaved'));

  const problems = draftProblems(draft);
  const shown = (f: DraftField) => (tried || (f !== 'title' && f !== 'body' && f !== 'key') ? problems[f] : undefined);
  const edit = (change: Partial<ArticleDraft>) => {
    setStatus(null);
    setDraft((d) => {
      const next = { ...d, ...change };
      if (isNew && !keyEdited && change.title !== undefined) next.key = keyFromTitle(change.title);
      return next;
    });
  };

  const save = async () => {
    setTried(true);
    setSaveError(null);
    if (Object.keys(problems).length > 0) return;
    setBusy(true);
    try {
      // A new article names version 0, so it never overwrites one that has the same key.
      const a = await putArticle(draft.key, fieldsOf(draft), isNew ? 0 : base);
      setSaved(a);
      setBase(a.version);
      setConflict(null);
      setDraft(draftOf(a));
      setStatus(t('kb.editor.saved', { n: a.version }));
      void reloadCategories();
      if (isNew) navigate(`/admin/knowledge/articles/${encodeURIComponent(a.key)}`, { replace: true });
      else void loadHistory(a.key);
    } catch (e) {
      if (e instanceof KbArticleConflictError && isNew) setSaveError({ text: t('kb.editor.keyTaken', { key: draft.key }), field: 'key' });
      else if (e instanceof KbArticleConflictError) setConflict({ current: e.current, mine: draft });
      else setSaveError({ text: kbErrorText(e), field: e instanceof ApiError ? e.field : undefined });
    } finally {
      setBusy(false);
    }
  };

  const settle = (choice: Choice) => {
    if (!conflict) return;
    const r = resolveConflict(conflict, choice);
    setDraft(r.draft);
    setBase(r.base);
    // Deleted meanwhile: the page stays on the old one; the next save (from version 0) creates it again.
    if (r.saved) setSaved(r.saved);
    setConflict(null);
    setStatus(choice === 'theirs' ? t('kb.editor.conflict.tookTheirs', { n: r.base }) : t('kb.editor.conflict.keptMine', { n: r.base }));
    if (r.saved) void loadHistory(r.saved.key);
  };

  const remove = async () => {
    if (!saved || !window.confirm(t('kb.editor.confirmDelete', { title: saved.title }))) return;
    setBusy(true);
    try {
      await deleteArticle(saved.key);
      void reloadCategories();
      navigate('/admin/knowledge', { replace: true });
    } catch (e) {
      setSaveError({ text: kbErrorText(e) });
      setBusy(false);
    }
  };

  const restore = async (version: number) => {
    if (!saved) return;
    if (dirty && !window.confirm(t('kb.editor.discardForRestore'))) return;
    try {
      const a = await restoreArticle(saved.key, version);
      setSaved(a);
      setBase(a.version);
      setDraft(draftOf(a));
      setStatus(t('kb.editor.restored', { from: version, n: a.version }));
      void reloadCategories();
      await loadHistory(a.key);
    } catch (e) {
      setSaveError({ text: kbErrorText(e) });
    }
  };

  if (loadError) {
    return (
      <div className="kb-page-body">
        <p className="kb-error" role="alert" data-testid="kb-editor-error">
          {loadError}
        </p>
        <Link to="/admin/knowledge">{t('kb.editor.back')}</Link>
      </div>
    );
  }
  if (!isNew && !saved) return <p className="kb-hint">{t('kb.loading')}</p>;

  const fieldError = (f: DraftField) => {
    const p = shown(f);
    const server = saveError?.field === f || saveError?.field === `draft.${f}`;
    return p ? <span className="kb-field-error">{t(`kb.editor.${p}`)}</span> : server ? <span className="kb-field-error">{saveError!.text}</span> : null;
  };

  return (
    <div className="kb-editor-page" data-testid="kb-editor" data-key={saved?.key ?? ''}>
      <form
        className="kb-editor"
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        <div className="kb-editor-top">
          <Link to="/admin/knowledge" className="text-btn">
            ← {t('kb.editor.back')}
          </Link>
          <span className="kb-hint" data-testid="kb-editor-state">
            {status ?? (dirty ? t('kb.editor.unsaved') : saved ? t('kb.editor.version', { n: saved.version }) : t('kb.editor.newArticle'))}
          </span>
        </div>
        <label className="kb-field">
          <span className="kb-label">{t('kb.editor.title')}</span>
          <input value={draft.title} onChange={(e) => edit({ title: e.target.value })} data-testid="kb-title" aria-invalid={Boolean(shown('title')) || undefined} maxLength={250} />
          {fieldError('title')}
        </label>
        <div className="kb-field-row">
          <label className="kb-field">
            <span className="kb-label">{t('kb.key')}</span>
            {isNew ? (
              <input
                value={draft.key}
                onChange={(e) => {
                  setKeyEdited(true);
                  edit({ key: e.target.value });
                }}
                data-testid="kb-key"
                spellCheck={false}
                placeholder="delivery-times"
              />
            ) : (
              <code className="kb-key" data-testid="kb-key">
                {draft.key}
              </code>
            )}
            {fieldError('key')}
          </label>
          <label className="kb-field">
            <span className="kb-label">{t('kb.editor.category')}</span>
            <select value={draft.category} onChange={(e) => edit({ category: e.target.value })} data-testid="kb-category-select">
              {!categories.some((c) => c.key === draft.category) && <option value={draft.category}>{draft.category || '—'}</option>}
              {categories.map((c) => (
                <option key={c.key} value={c.key}>
                  {c.title}
                </option>
              ))}
            </select>
            {fieldError('category')}
          </label>
          <label className="kb-checkbox kb-published">
            <input type="checkbox" checked={draft.published} onChange={(e) => edit({ published: e.target.checked })} data-testid="kb-published" />
            <span>
              {t('kb.editor.published')}
              <span className="kb-hint"> — {draft.published ? t('kb.editor.publishedHint') : t('kb.editor.unpublishedHint')}</span>
            </span>
          </label>
        </div>
        <div className="kb-field">
          <span className="kb-label">{t('kb.editor.tags')}</span>
          <TagsInput tags={draft.tags} onChange={(tags) => edit({ tags })} />
          {fieldError('tags')}
        </div>
        <MarkdownEditor value={draft.body} onChange={(body) => edit({ body })} invalid={Boolean(shown('body'))} />
        {fieldError('body')}
        {conflict && (
          <div className="kb-conflict" role="alert" data-testid="kb-conflict">
            <p>
              {conflict.current
                ? t('kb.editor.conflict.changed', { n: conflict.current.version, at: new Date(conflict.current.updated_at).toLocaleString() })
                : t('kb.editor.conflict.deleted')}
            </p>
            {theirText(conflict).body !== null && (
              <>
                <span className="kb-label">{t('kb.editor.conflict.diff')}</span>
                <TextDiff parts={diffText(theirText(conflict).body!, conflict.mine.body)} />
              </>
            )}
            <div className="kb-editor-actions">
              <button type="button" className="kb-primary" onClick={() => settle('keep')} data-testid="kb-conflict-keep">
                {conflict.current ? t('kb.editor.conflict.keep') : t('kb.editor.conflict.recreate')}
              </button>
              {theirText(conflict).canTakeTheirs && (
                <button type="button" className="text-btn" onClick={() => settle('theirs')} data-testid="kb-conflict-theirs">
                  {t('kb.editor.conflict.theirs')}
                </button>
              )}
            </div>
          </div>
        )}
        {saveError && !saveError.field && (
          <p className="kb-error" role="alert" data-testid="kb-save-error">
            {saveError.text}
          </p>
        )}
        {saveError?.field && !['title', 'key', 'category', 'body', 'tags'].includes(saveError.field) && (
          <p className="kb-error" role="alert" data-testid="kb-save-error">
            {saveError.text}
          </p>
        )}
        <div className="kb-editor-actions">
          <button type="submit" className="kb-primary" disabled={busy || !dirty} data-testid="kb-save">
            {busy ? t('kb.editor.saving') : t('kb.save')}
          </button>
          {saved && (
            <button type="button" className="kb-danger" disabled={busy} onClick={() => void remove()} data-testid="kb-delete">
              {t('kb.editor.delete')}
            </button>
          )}
        </div>
      </form>
      <aside className="kb-editor-side">
        <div className="kb-side-tabs" role="tablist">
          {!isNew && (
            <button type="button" role="tab" aria-selected={side === 'history'} className="kb-tab" onClick={() => setSide('history')} data-testid="kb-side-history">
              {t('kb.history.title')}
            </button>
          )}
          <button type="button" role="tab" aria-selected={side === 'check'} className="kb-tab" onClick={() => setSide('check')} data-testid="kb-side-check">
            {t('kb.tabs.check')}
          </button>
        </div>
        {side === 'history' && !isNew ? <HistoryPanel history={history} error={historyError} onRestore={restore} /> : <CheckPanel draft={checkDraftOf(draft)} />}
      </aside>
    </div>
  );
}

// The articles page: categories on the left, and the articles matching the search and filters
// (category, published or not, tag), which live in the URL. Typing searches as it goes, after a
// pause; the server does the matching (any form of a word, the last one unfinished). Articles in
// view can be chosen and moved into another category together.
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useSearchParams } from 'react-router';
import { formatDateTime } from '../workflows/format';
import { CategoriesPanel } from './CategoriesPanel';
import { categoryTitle, useKbCategories } from './categories';
import { listArticles, moveArticles, type KbArticlePage } from './api';
import { inViewOnly, MAX_MOVED, toggled, toggledAll } from './logic/selection';
import { kbErrorText } from './logic/errors';
import { articleQuery, filterFromSearch, isFiltered, searchFromFilter, type ArticleFilter, type PublishedFilter } from './logic/filters';

const SEARCH_PAUSE_MS = 250;
/** Articles per request: a shop import can bring thousands. */
export const PAGE_SIZE = 100;

export function ArticlesPage() {
  const { t } = useTranslation();
  const [params, setParams] = useSearchParams();
  const filter = filterFromSearch(params);
  const categories = useKbCategories((s) => s.list);
  const [typed, setTyped] = useState(filter.q);
  const [page, setPage] = useState<KbArticlePage | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [target, setTarget] = useState('');
  const [moveNotice, setMoveNotice] = useState<{ text: string; failed: boolean } | null>(null);
  const reloadCategories = useKbCategories((s) => s.load);

  const update = (change: Partial<ArticleFilter>) => setParams(searchFromFilter({ ...filter, ...change }), { replace: true });

  // The search box updates the URL after a pause, so each keystroke is not a request.
  useEffect(() => {
    if (typed === filter.q) return;
    const timer = setTimeout(() => update({ q: typed }), SEARCH_PAUSE_MS);
    return () => clearTimeout(timer);
  }, [typed]);

  const key = params.toString();
  const [reloadTick, setReloadTick] = useState(0);
  useEffect(() => {
    let live = true;
    setLoading(true);
    listArticles({ ...articleQuery(filterFromSearch(new URLSearchParams(key))), limit: PAGE_SIZE })
      .then((p) => live && (setPage(p), setError(null)))
      .catch((e) => live && setError(kbErrorText(e)))
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
  }, [key, reloadTick]);

  const inView = page?.items.map((a) => a.key) ?? [];
  const chosen = inViewOnly(selected, inView);
  const move = async () => {
    if (!target || chosen.length === 0) return;
    setMoveNotice(null);
    try {
      const r = await moveArticles(chosen.slice(0, MAX_MOVED), target);
      setMoveNotice({ text: t('kb.articles.moved', { count: r.moved, category: categoryTitle(categories, target) }), failed: false });
      setSelected(new Set());
      void reloadCategories();
      setReloadTick((n) => n + 1);
    } catch (e) {
      setMoveNotice({ text: kbErrorText(e), failed: true });
    }
  };

  const more = async () => {
    if (!page) return;
    setLoading(true);
    try {
      const next = await listArticles({ ...articleQuery(filter), limit: PAGE_SIZE, offset: page.items.length });
      setPage({ total: next.total, items: [...page.items, ...next.items] });
    } catch (e) {
      setError(kbErrorText(e));
    } finally {
      setLoading(false);
    }
  };

  const newLink = filter.category ? `/admin/knowledge/new?category=${encodeURIComponent(filter.category)}` : '/admin/knowledge/new';
  return (
    <div className="kb-articles-page">
      <CategoriesPanel selected={filter.category} onSelect={(category) => update({ category })} />
      <div className="kb-articles">
        <div className="kb-toolbar" data-testid="kb-article-filters">
          <input
            type="search"
            className="kb-search"
            value={typed}
            onChange={(e) => setTyped(e.target.value)}
            placeholder={t('kb.articles.searchPlaceholder')}
            aria-label={t('kb.articles.search')}
            data-testid="kb-search"
            maxLength={200}
          />
          <select value={filter.published} onChange={(e) => update({ published: e.target.value as PublishedFilter })} aria-label={t('kb.articles.published')} data-testid="kb-filter-published">
            <option value="all">{t('kb.articles.anyState')}</option>
            <option value="published">{t('kb.articles.onlyPublished')}</option>
            <option value="unpublished">{t('kb.articles.onlyUnpublished')}</option>
          </select>
          <input
            className="kb-tag-filter"
            defaultValue={filter.tag}
            key={filter.tag}
            onBlur={(e) => e.target.value.trim() !== filter.tag && update({ tag: e.target.value })}
            onKeyDown={(e) => e.key === 'Enter' && update({ tag: e.currentTarget.value })}
            placeholder={t('kb.articles.tagPlaceholder')}
            aria-label={t('kb.articles.tag')}
            data-testid="kb-filter-tag"
          />
          <Link to={newLink} className="kb-primary" data-testid="kb-new-article">
            {t('kb.articles.new')}
          </Link>
        </div>
        {error && (
          <p className="kb-error" role="alert" data-testid="kb-articles-error">
            {error}
          </p>
        )}
        {page && (
          <p className="kb-hint" data-testid="kb-articles-total">
            {isFiltered(filter) ? t('kb.articles.found', { count: page.total }) : t('kb.articles.total', { count: page.total })}
            {isFiltered(filter) && (
              <button type="button" className="text-btn" onClick={() => (setTyped(''), setParams(new URLSearchParams(), { replace: true }))} data-testid="kb-clear-filters">
                {t('kb.articles.clear')}
              </button>
            )}
          </p>
        )}
        {page && page.items.length > 0 && (
          <div className="kb-bulk" data-testid="kb-bulk">
            <label>
              <input
                type="checkbox"
                checked={inView.length > 0 && chosen.length === inView.length}
                onChange={() => setSelected(toggledAll(selected, inView))}
                data-testid="kb-select-all"
              />{' '}
              {t('kb.articles.selectAll')}
            </label>
            {chosen.length > 0 && (
              <>
                <span className="kb-hint">{t('kb.articles.selected', { count: chosen.length })}</span>
                <select value={target} onChange={(e) => setTarget(e.target.value)} aria-label={t('kb.articles.moveTo')} data-testid="kb-move-target">
                  <option value="">{t('kb.articles.moveTo')}</option>
                  {categories.map((c) => (
                    <option key={c.key} value={c.key}>
                      {c.title}
                    </option>
                  ))}
                </select>
                <button type="button" className="kb-secondary" disabled={!target} onClick={() => void move()} data-testid="kb-move">
                  {t('kb.articles.move')}
                </button>
              </>
            )}
            {moveNotice && (
              <span className={moveNotice.failed ? 'kb-error' : 'kb-hint'} role="status" data-testid="kb-move-result">
                {moveNotice.text}
              </span>
            )}
          </div>
        )}
        <ul className={`kb-article-list${loading ? ' loading' : ''}`} data-testid="kb-article-list" aria-busy={loading}>
          {page?.items.map((a) => (
            <li key={a.key} className="kb-article-row" data-testid="kb-article-row" data-key={a.key}>
              <input
                type="checkbox"
                className="kb-article-pick"
                checked={selected.has(a.key)}
                onChange={(e) => setSelected((s) => toggled(s, a.key, e.target.checked))}
                aria-label={t('kb.articles.pick', { title: a.title })}
                data-testid="kb-article-pick"
              />
              <Link to={`/admin/knowledge/articles/${encodeURIComponent(a.key)}`} className="kb-article-link">
                <span className="kb-article-title">{a.title}</span>
                {!a.published && <span className="kb-badge kb-badge-off">{t('kb.articles.unpublished')}</span>}
              </Link>
              <span className="kb-article-meta">
                <span className="kb-key">{a.key}</span> · {categoryTitle(categories, a.category)} · {t('kb.articles.version', { n: a.version })} · {formatDateTime(a.updated_at)}
              </span>
              {a.tags.length > 0 && (
                <span className="kb-tags">
                  {a.tags.map((tag) => (
                    <button type="button" key={tag} className="kb-tag" onClick={() => update({ tag })} title={t('kb.articles.byTag', { tag })}>
                      {tag}
                    </button>
                  ))}
                </span>
              )}
            </li>
          ))}
        </ul>
        {page && page.items.length < page.total && (
          <button type="button" className="kb-secondary" disabled={loading} onClick={() => void more()} data-testid="kb-articles-more">
            {t('kb.articles.more', { shown: page.items.length, total: page.total })}
          </button>
        )}
        {page && page.items.length === 0 && !loading && (
          <p className="kb-empty" data-testid="kb-articles-empty">
            {isFiltered(filter) ? t('kb.articles.noneFound') : t('kb.articles.none')}
          </p>
        )}
        {!page && loading && <p className="kb-hint">{t('kb.loading')}</p>}
      </div>
    </div>
  );
}

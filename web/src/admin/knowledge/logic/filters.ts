// The article list's filter, kept in the URL (`?q=…&category=…&published=false&tag=…`) so a
// filtered list survives a reload and can be linked; turned into the list endpoint's query.
import type { KbArticleQuery } from '../api';

export type PublishedFilter = 'all' | 'published' | 'unpublished';

export interface ArticleFilter {
  q: string;
  category: string;
  published: PublishedFilter;
  tag: string;
}

export const NO_FILTER: ArticleFilter = { q: '', category: '', published: 'all', tag: '' };

export function filterFromSearch(params: URLSearchParams): ArticleFilter {
  const published = params.get('published');
  return {
    q: params.get('q') ?? '',
    category: params.get('category') ?? '',
    published: published === 'true' ? 'published' : published === 'false' ? 'unpublished' : 'all',
    tag: params.get('tag') ?? '',
  };
}

/** The URL's search part for `f`: only what narrows the list. */
export function searchFromFilter(f: ArticleFilter): URLSearchParams {
  const p = new URLSearchParams();
  if (f.q.trim()) p.set('q', f.q);
  if (f.category) p.set('category', f.category);
  if (f.published !== 'all') p.set('published', String(f.published === 'published'));
  if (f.tag.trim()) p.set('tag', f.tag.trim());
  return p;
}

/** The server's query; the search is capped at its 200 characters. */
export function articleQuery(f: ArticleFilter): KbArticleQuery {
  const q: KbArticleQuery = {};
  const text = f.q.trim().slice(0, 200);
  if (text) q.q = text;
  if (f.category) q.category = f.category;
  if (f.published !== 'all') q.published = f.published === 'published';
  if (f.tag.trim()) q.tag = f.tag.trim();
  return q;
}

export const isFiltered = (f: ArticleFilter) => searchFromFilter(f).toString() !== '';

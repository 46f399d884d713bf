// The article being edited: its fields as typed, whether they differ from what is saved, and what
// the server would refuse (the same limits as `KbArticleDraft::cleaned`), checked before saving
// so the form can point at the field.
import type { KbArticle, KbArticleFields, KbCheckDraft } from '../api';
import { isValidKey } from './keys';
import { tagsProblem } from './tags';

export const MAX_TITLE_CHARS = 200;
export const MAX_BODY_CHARS = 20_000;

export interface ArticleDraft extends KbArticleFields {
  key: string;
}

export const draftOf = (a: KbArticle): ArticleDraft => ({
  key: a.key,
  category: a.category,
  title: a.title,
  body: a.body,
  tags: [...a.tags],
  published: a.published,
});

export const emptyDraft = (category: string): ArticleDraft => ({ key: '', category, title: '', body: '', tags: [], published: true });

export const fieldsOf = (d: ArticleDraft): KbArticleFields => ({
  category: d.category,
  title: d.title.trim(),
  body: d.body.trim(),
  tags: d.tags,
  published: d.published,
});

/** The draft as `POST /kb/check` takes it, when it is complete enough to be checked. */
export function checkDraftOf(d: ArticleDraft): KbCheckDraft | null {
  return Object.keys(draftProblems(d)).length === 0 ? { key: d.key, ...fieldsOf(d) } : null;
}

/** Whether `d` differs from the saved article (`null`: nothing saved yet, so any content counts). */
export function isDirty(d: ArticleDraft, saved: KbArticle | null): boolean {
  if (!saved) return Boolean(d.title.trim() || d.body.trim() || d.tags.length);
  const s = draftOf(saved);
  return (
    d.category !== s.category ||
    d.title.trim() !== s.title ||
    d.body.trim() !== s.body.trim() ||
    d.published !== s.published ||
    d.tags.join('\u0000') !== s.tags.join('\u0000')
  );
}

export type DraftField = 'key' | 'category' | 'title' | 'body' | 'tags';

/** Field → i18n key under `kb.editor.` of what is wrong with it. */
export function draftProblems(d: ArticleDraft): Partial<Record<DraftField, string>> {
  const p: Partial<Record<DraftField, string>> = {};
  if (!isValidKey(d.key)) p.key = 'badKey';
  if (!d.category) p.category = 'noCategory';
  const title = [...d.title.trim()].length;
  if (title === 0) p.title = 'noTitle';
  else if (title > MAX_TITLE_CHARS) p.title = 'longTitle';
  const body = [...d.body.trim()].length;
  if (body === 0) p.body = 'noBody';
  else if (body > MAX_BODY_CHARS) p.body = 'longBody';
  const tags = tagsProblem(d.tags);
  if (tags) p.tags = tags;
  return p;
}

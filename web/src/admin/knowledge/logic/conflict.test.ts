import { describe, expect, it } from 'vitest';
import type { KbArticle } from '../api';
import { resolveConflict, theirText } from './conflict';
import { draftOf } from './draft';

const article = (version: number, body: string): KbArticle => ({
  key: 'terms',
  category: 'delivery',
  title: 'Сроки',
  body,
  tags: [],
  published: true,
  version,
  created_at: '2026-12-01T10:00:00.000Z',
  updated_at: '2026-12-01T10:00:00.000Z',
});

describe('a save refused because the article changed meanwhile', () => {
  const mine = { ...draftOf(article(1, 'За 2 дня.')), body: 'За 3 дня.' };

  it('keeps my text and starts the next save from their version', () => {
    const r = resolveConflict({ current: article(2, 'За 5 дней.'), mine }, 'keep');
    expect(r.draft.body).toBe('За 3 дня.');
    expect(r.base).toBe(2);
    expect(r.saved?.version).toBe(2);
  });

  it('or drops my edit for theirs', () => {
    const r = resolveConflict({ current: article(2, 'За 5 дней.'), mine }, 'theirs');
    expect(r.draft.body).toBe('За 5 дней.');
    expect(r.base).toBe(2);
  });

  it('an article deleted meanwhile can only be saved again as new', () => {
    const c = { current: null, mine };
    expect(theirText(c)).toEqual({ body: null, canTakeTheirs: false });
    const r = resolveConflict(c, 'theirs');
    expect(r.draft.body).toBe('За 3 дня.');
    expect(r.base).toBe(0);
    expect(r.saved).toBeNull();
  });
});

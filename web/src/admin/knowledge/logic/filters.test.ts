import { describe, expect, it } from 'vitest';
import { articleQuery, filterFromSearch, isFiltered, NO_FILTER, searchFromFilter } from './filters';

describe('the article filter', () => {
  it('round-trips through the URL, keeping only what narrows the list', () => {
    const f = { q: 'доставка в Казань', category: 'delivery', published: 'unpublished' as const, tag: 'курьер' };
    const search = searchFromFilter(f);
    expect(search.toString()).toBe('q=%D0%B4%D0%BE%D1%81%D1%82%D0%B0%D0%B2%D0%BA%D0%B0+%D0%B2+%D0%9A%D0%B0%D0%B7%D0%B0%D0%BD%D1%8C&category=delivery&published=false&tag=%D0%BA%D1%83%D1%80%D1%8C%D0%B5%D1%80');
    expect(filterFromSearch(search)).toEqual(f);
    expect(searchFromFilter(NO_FILTER).toString()).toBe('');
    expect(isFiltered(NO_FILTER)).toBe(false);
    expect(isFiltered({ ...NO_FILTER, published: 'published' })).toBe(true);
  });

  it('reads unknown values as no filter', () => {
    expect(filterFromSearch(new URLSearchParams('published=maybe&other=1'))).toEqual(NO_FILTER);
  });

  it('becomes the list endpoint’s query: trimmed, capped at 200 characters, booleans for published', () => {
    expect(articleQuery(NO_FILTER)).toEqual({});
    expect(articleQuery({ q: '  опл ', category: '', published: 'published', tag: ' Скоро ' })).toEqual({ q: 'опл', published: true, tag: 'Скоро' });
    expect(articleQuery({ ...NO_FILTER, q: 'я'.repeat(300) }).q).toHaveLength(200);
    expect(articleQuery({ ...NO_FILTER, published: 'unpublished', category: 'help' })).toEqual({ published: false, category: 'help' });
  });
});

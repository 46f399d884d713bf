import { describe, expect, it } from 'vitest';
import type { KbImportResult } from '../api';
import { canConfirm, countActions, kindOfFile, problemsInOrder } from './importPlan';

const result = (over: Partial<KbImportResult> = {}): KbImportResult => ({
  dry_run: true,
  stats: { categories_created: 0, categories_updated: 0, articles_created: 1, articles_updated: 0, articles_unchanged: 0 },
  skipped: 0,
  categories: [],
  articles: [{ key: 'ok', category: 'help', title: 'Хорошая', published: true, action: 'create', line: 2, item: 1, source: null, reason: null }],
  problems: [],
  ...over,
});

describe('an import preview', () => {
  it('knows the kind of a file by its extension', () => {
    expect(kindOfFile('kb.JSON')).toBe('json');
    expect(kindOfFile('export.csv')).toBe('csv');
    expect(kindOfFile('faq.md')).toBe('markdown');
    expect(kindOfFile('shop-2026.sql')).toBe('opencart-dump');
    expect(kindOfFile('photo.png')).toBeNull();
  });

  it('counts items per action', () => {
    const a = (action: 'create' | 'update' | 'unchanged' | 'skip') => ({ action });
    expect(countActions([a('create'), a('skip'), a('create'), a('unchanged')])).toEqual({ create: 2, update: 0, unchanged: 1, skip: 1 });
  });

  it('lists problems in the file’s order, unplaced ones last', () => {
    const p = (line: number | null, item: number | null, message: string) => ({ line, item, key: null, field: null, message });
    expect(problemsInOrder([p(null, null, 'c'), p(5, 4, 'b'), p(3, 2, 'a'), p(null, 1, 'x')]).map((x) => x.message)).toEqual(['x', 'a', 'b', 'c']);
  });

  it('can be confirmed when it has no problems and would write something', () => {
    expect(canConfirm(result())).toBe(true);
    expect(canConfirm(result({ problems: [{ line: 3, item: 2, key: 'x', field: 'title', message: 'm' }] }))).toBe(false);
    expect(canConfirm(result({ dry_run: false }))).toBe(false);
    const unchanged = result({ articles: [{ ...result().articles[0]!, action: 'unchanged' }] });
    expect(canConfirm(unchanged)).toBe(false);
    expect(canConfirm({ ...unchanged, categories: [{ key: 'help', title: 'Помощь', action: 'update' }] })).toBe(true);
  });
});

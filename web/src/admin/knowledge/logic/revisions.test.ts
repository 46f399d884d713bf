import { describe, expect, it } from 'vitest';
import type { KbRevision } from '../api';
import { restoreChanges, revisionChanges, withPrevious } from './revisions';

const rev = (version: number, over: Partial<KbRevision> = {}): KbRevision => ({
  version,
  category: 'delivery',
  title: 'Сроки доставки',
  body: 'Курьер привозит заказ за 2 дня.',
  tags: ['курьер'],
  published: true,
  source: 'editor',
  restored_from: null,
  author: { id: 1, name: 'admin' },
  created_at: '2026-12-01T10:00:00Z',
  changed: [],
  ...over,
});

describe('an article’s history', () => {
  it('pairs each version with the one before (newest first)', () => {
    const h = [rev(3), rev(2), rev(1)];
    expect(withPrevious(h).map((x) => [x.rev.version, x.previous?.version])).toEqual([
      [3, 2],
      [2, 1],
      [1, undefined],
    ]);
  });

  it('shows old and new values of the fields the server says changed', () => {
    const v1 = rev(1);
    const v2 = rev(2, {
      category: 'payment',
      body: 'Курьер привозит заказ за 1 день.',
      tags: ['Курьер', 'срочно'],
      published: false,
      changed: ['category', 'body', 'tags', 'published'],
    });
    const c = revisionChanges(v2, v1);
    expect(c.category).toEqual({ from: 'delivery', to: 'payment' });
    expect(c.published).toEqual({ from: true, to: false });
    expect(c.tags).toEqual({ added: ['срочно'], removed: [] });
    expect(c.title).toBeUndefined();
    expect(c.body!.filter((p) => p.kind !== 'same').map((p) => [p.kind, p.text])).toEqual([
      ['removed', '2'],
      ['added', '1'],
      ['removed', 'дня'],
      ['added', 'день'],
    ]);
    expect(revisionChanges(v1, undefined)).toEqual({});
  });

  it('knows when a restore would change nothing', () => {
    const current = rev(3, { body: 'Новый текст.' });
    expect(restoreChanges(rev(1), current)).toBe(true);
    expect(restoreChanges(rev(2, { body: 'Новый текст.' }), current)).toBe(false);
    expect(restoreChanges(current, current)).toBe(false);
  });
});

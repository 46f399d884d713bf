import { describe, expect, it } from 'vitest';
import type { KbArticle } from '../api';
import { checkDraftOf, draftOf, draftProblems, emptyDraft, fieldsOf, isDirty } from './draft';

const saved: KbArticle = {
  key: 'terms',
  category: 'delivery',
  title: 'Сроки доставки',
  body: 'Курьер привозит заказ за 2 дня.',
  tags: ['курьер'],
  published: true,
  version: 2,
  created_at: '',
  updated_at: '',
};

describe('the article being edited', () => {
  it('is dirty only when a field differs from the saved article', () => {
    const d = draftOf(saved);
    expect(isDirty(d, saved)).toBe(false);
    expect(isDirty({ ...d, title: ' Сроки доставки ' }, saved)).toBe(false);
    expect(isDirty({ ...d, body: 'Другой текст.' }, saved)).toBe(true);
    expect(isDirty({ ...d, tags: ['курьер', 'новый'] }, saved)).toBe(true);
    expect(isDirty({ ...d, published: false }, saved)).toBe(true);
    expect(isDirty(emptyDraft('delivery'), null)).toBe(false);
    expect(isDirty({ ...emptyDraft('delivery'), title: 'Новая' }, null)).toBe(true);
  });

  it('names what the server would refuse, by field', () => {
    expect(draftProblems(draftOf(saved))).toEqual({});
    expect(draftProblems({ ...emptyDraft(''), key: 'Bad Key' })).toEqual({ key: 'badKey', category: 'noCategory', title: 'noTitle', body: 'noBody' });
    expect(draftProblems({ ...draftOf(saved), title: 'я'.repeat(201), body: 'я'.repeat(20_001) })).toEqual({ title: 'longTitle', body: 'longBody' });
  });

  it('is sent trimmed, and checked only when it is complete', () => {
    expect(fieldsOf({ ...draftOf(saved), title: '  Сроки ', body: '\nТекст.\n' })).toEqual({ category: 'delivery', title: 'Сроки', body: 'Текст.', tags: ['курьер'], published: true });
    expect(checkDraftOf({ ...draftOf(saved), body: ' ' })).toBeNull();
    expect(checkDraftOf(draftOf(saved))).toEqual({ key: 'terms', category: 'delivery', title: 'Сроки доставки', body: 'Курьер привозит заказ за 2 дня.', tags: ['курьер'], published: true });
  });
});

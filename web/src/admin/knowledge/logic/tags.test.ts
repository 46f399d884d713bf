import { describe, expect, it } from 'vitest';
import { addTags, removeTag, tagsProblem } from './tags';

describe('tags', () => {
  it('are split on commas and semicolons, trimmed and kept once in any case', () => {
    expect(addTags([], ' курьер, сроки;  Курьер ,, ')).toEqual(['курьер', 'сроки']);
    expect(addTags(['Доставка'], 'доставка, самовывоз')).toEqual(['Доставка', 'самовывоз']);
    expect(addTags([], 'часы   работы')).toEqual(['часы работы']);
    expect(removeTag(['a', 'b'], 'a')).toEqual(['b']);
  });

  it('have the server’s limits', () => {
    expect(tagsProblem(['ok'])).toBeNull();
    expect(tagsProblem(Array.from({ length: 31 }, (_, i) => `t${i}`))).toBe('tooManyTags');
    expect(tagsProblem(['я'.repeat(61)])).toBe('longTag');
    expect(tagsProblem(['я'.repeat(60)])).toBeNull();
  });
});

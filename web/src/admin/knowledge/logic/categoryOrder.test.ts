import { describe, expect, it } from 'vitest';
import { moveBy, moveTo, sameOrder } from './categoryOrder';

const keys = ['delivery', 'payment', 'returns', 'contacts'];

describe('category order', () => {
  it('moves one key to another place, every key kept once', () => {
    expect(moveTo(keys, 0, 2)).toEqual(['payment', 'returns', 'delivery', 'contacts']);
    expect(moveTo(keys, 3, 0)).toEqual(['contacts', 'delivery', 'payment', 'returns']);
    expect(moveTo(keys, 1, 99)).toEqual(['delivery', 'returns', 'contacts', 'payment']);
    expect(moveTo(keys, 2, 2)).toEqual(keys);
    expect(moveTo(keys, -1, 2)).toEqual(keys);
  });

  it('moves up and down by one, staying put at the ends', () => {
    expect(moveBy(keys, 'payment', -1)).toEqual(['payment', 'delivery', 'returns', 'contacts']);
    expect(moveBy(keys, 'payment', 1)).toEqual(['delivery', 'returns', 'payment', 'contacts']);
    expect(moveBy(keys, 'delivery', -1)).toEqual(keys);
    expect(moveBy(keys, 'contacts', 1)).toEqual(keys);
    expect(moveBy(keys, 'nowhere', 1)).toEqual(keys);
  });

  it('tells an unchanged order', () => {
    expect(sameOrder(keys, [...keys])).toBe(true);
    expect(sameOrder(keys, moveBy(keys, 'returns', -1))).toBe(false);
    expect(sameOrder(keys, keys.slice(1))).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { isValidKey, keyFromTitle, uniqueKey } from './keys';

describe('article keys', () => {
  it('follow the server’s rule', () => {
    expect(isValidKey('delivery-times_2')).toBe(true);
    expect(isValidKey('')).toBe(false);
    expect(isValidKey('Bad Key')).toBe(false);
    expect(isValidKey('доставка')).toBe(false);
    expect(isValidKey('a'.repeat(64))).toBe(true);
    expect(isValidKey('a'.repeat(65))).toBe(false);
  });

  it('are proposed from a Russian title, transliterated', () => {
    expect(keyFromTitle('Сроки доставки')).toBe('sroki-dostavki');
    expect(keyFromTitle('Щётка «Жёсткая» — 2 шт.')).toBe('shchetka-zhestkaya-2-sht');
    expect(keyFromTitle('Café crème')).toBe('cafe-creme');
    expect(keyFromTitle('!!!')).toBe('');
    const long = keyFromTitle('очень длинное название статьи '.repeat(5));
    expect(long.length).toBeLessThanOrEqual(64);
    expect(isValidKey(long)).toBe(true);
    expect(long.endsWith('-')).toBe(false);
  });

  it('get a number when taken', () => {
    const taken = new Set(['faq', 'faq-2']);
    expect(uniqueKey('faq', (k) => taken.has(k))).toBe('faq-3');
    expect(uniqueKey('new', (k) => taken.has(k))).toBe('new');
    expect(uniqueKey('a'.repeat(64), (k) => k === 'a'.repeat(64))).toBe('a'.repeat(62) + '-2');
  });
});

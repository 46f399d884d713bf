import { describe, expect, it } from 'vitest';
import i18n from './index';
import ru from './ru.json';
import en from './en.json';

function keys(o: unknown, prefix = ''): string[] {
  if (typeof o !== 'object' || o === null) return [prefix];
  return Object.entries(o).flatMap(([k, v]) => keys(v, prefix ? `${prefix}.${k}` : k));
}
const base = (k: string) => k.replace(/_(one|few|many|other)$/, '');

describe('i18n', () => {
  it('Russian plural forms of «Найдено N чатов»', () => {
    const t = i18n.getFixedT('ru');
    expect(t('search.found', { count: 1 })).toBe('Найдено 1 чат');
    expect(t('search.found', { count: 2 })).toBe('Найдено 2 чата');
    expect(t('search.found', { count: 5 })).toBe('Найдено 5 чатов');
    expect(t('search.found', { count: 21 })).toBe('Найдено 21 чат');
    expect(t('accounts.button', { count: 3 })).toBe('Аккаунты (3)');
  });

  it('English has every Russian string and no extra ones', () => {
    const r = new Set(keys(ru).map(base));
    const e = new Set(keys(en).map(base));
    expect([...r].filter((k) => !e.has(k))).toEqual([]);
    expect([...e].filter((k) => !r.has(k))).toEqual([]);
  });

  it('Russian is the default language', () => {
    expect(i18n.language).toBe('ru');
    expect(i18n.t('search.placeholder')).toBe('Поиск или новый чат');
  });
});

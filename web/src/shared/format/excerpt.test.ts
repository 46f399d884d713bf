import { describe, expect, it } from 'vitest';
import { excerpt } from './excerpt';

describe('excerpt', () => {
  it('leaves short text as it is, line breaks folded', () => {
    expect(excerpt('Диван ещё продаётся?', 40)).toBe('Диван ещё продаётся?');
    expect(excerpt('  Да,\n\nпродаётся \t ', 40)).toBe('Да, продаётся');
  });
  it('cuts long text at a word boundary with an ellipsis, within the limit', () => {
    const out = excerpt('Здравствуйте, подскажите пожалуйста, есть ли доставка в Казань и сколько она стоит', 40);
    expect(out).toBe('Здравствуйте, подскажите пожалуйста…');
    expect(Array.from(out).length).toBeLessThanOrEqual(40);
  });
  it('cuts a long word where it must rather than dropping nearly everything', () => {
    const out = excerpt('a ' + 'x'.repeat(100), 20);
    expect(Array.from(out)).toHaveLength(20);
    expect(out.endsWith('…')).toBe(true);
    expect(out.startsWith('a xxx')).toBe(true);
  });
  it('never splits an emoji', () => {
    const out = excerpt('😀'.repeat(30), 10);
    expect(out).toBe('😀'.repeat(9) + '…');
  });
});

import { describe, expect, it } from 'vitest';
import { changes, condense, diffText, tokens, type DiffPart } from './textDiff';

/** The diff as `[-removed-]{+added+}`, the way a reviewer reads it. */
const show = (parts: DiffPart[]) => parts.map((p) => (p.kind === 'same' ? p.text : p.kind === 'added' ? `{+${p.text}+}` : `[-${p.text}-]`)).join('');

describe('the text diff', () => {
  it('splits words, spaces and punctuation', () => {
    expect(tokens('за 2 дня, до двери.')).toEqual(['за', ' ', '2', ' ', 'дня', ',', ' ', 'до', ' ', 'двери', '.']);
  });

  it('shows the words that changed', () => {
    expect(show(diffText('Курьер привозит заказ за 2 дня.', 'Курьер привозит заказ за 1 день.'))).toBe('Курьер привозит заказ за [-2-]{+1+} [-дня-]{+день+}.');
    expect(show(diffText('Оплата картой.', 'Оплата картой или по СБП.'))).toBe('Оплата картой{+ или по СБП+}.');
    expect(show(diffText('Первый абзац.\n\nВторой абзац.', 'Второй абзац.'))).toBe('[-Первый абзац.\n\n-]Второй абзац.');
  });

  it('rebuilds both texts exactly', () => {
    const a = 'Магазин открыт с 10:00 до 22:00, включая субботу и воскресенье.';
    const b = 'Магазин в Москве открыт с 9:00 до 23:00, кроме воскресенья.';
    const parts = diffText(a, b);
    expect(parts.filter((p) => p.kind !== 'added').map((p) => p.text).join('')).toBe(a);
    expect(parts.filter((p) => p.kind !== 'removed').map((p) => p.text).join('')).toBe(b);
    expect(changes(parts)).toBe(true);
    expect(changes(diffText(a, a))).toBe(false);
    expect(diffText('', '')).toEqual([]);
  });

  it('falls back to old-out, new-in past its edit budget', () => {
    const parts = diffText('a b c d e f', 'u v w x y z', 3);
    expect(show(parts)).toBe('[-a b c d e f-]{+u v w x y z+}');
  });

  it('shortens long unchanged stretches around the changes', () => {
    const long = 'слово '.repeat(100);
    const parts = diffText(`${long}старое${long}`, `${long}новое${long}`);
    const c = condense(parts, 12);
    expect(c.map((p) => p.kind)).toEqual(['gap', 'same', 'removed', 'added', 'same', 'gap']);
    expect((c[1] as DiffPart).text).toHaveLength(12);
    expect(condense(diffText('коротко', 'кратко'))).toEqual(diffText('коротко', 'кратко'));
  });
});

import { describe, expect, it } from 'vitest';
import { canRedo, canUndo, HISTORY_LIMIT, record, redo, seal, startHistory, undo } from './history';

describe('undo and redo', () => {
  it('steps back and forth; a new edit drops what could be redone', () => {
    let h = startHistory('a');
    h = record(h, 'b');
    h = record(h, 'c');
    expect(canUndo(h)).toBe(true);
    h = undo(h);
    expect(h.present).toBe('b');
    h = undo(h);
    expect(h.present).toBe('a');
    expect(canUndo(h)).toBe(false);
    expect(undo(h)).toBe(h);
    h = redo(h);
    expect(h.present).toBe('b');
    expect(canRedo(h)).toBe(true);
    h = record(h, 'x');
    expect(canRedo(h)).toBe(false);
    expect(h.past).toEqual(['a', 'b']);
    expect(redo(h)).toBe(h);
  });

  it('edits with one key are one step until sealed or another key comes', () => {
    let h = startHistory('');
    for (const s of ['П', 'Пр', 'При', 'Прив']) h = record(h, s, 'node:text');
    expect(h.past).toEqual(['']);
    h = record(h, 'Привет', 'node:text');
    h = seal(h);
    h = record(h, 'Привет!', 'node:text');
    h = record(h, 'Привет!!', 'node:other');
    expect(h.past).toEqual(['', 'Привет', 'Привет!']);
    h = undo(undo(h));
    expect(h.present).toBe('Привет');
    // Undo ends coalescing: typing after an undo is a new step.
    h = record(h, 'Привет?', 'node:text');
    expect(h.past).toEqual(['', 'Привет']);
  });

  it('recording the same value changes nothing, and the stack is bounded', () => {
    const h0 = startHistory(1);
    expect(record(h0, 1)).toBe(h0);
    let h = h0;
    for (let i = 2; i < HISTORY_LIMIT + 50; i++) h = record(h, i);
    expect(h.past.length).toBe(HISTORY_LIMIT);
    // 1 … 249 recorded: the 200 before the present are kept.
    expect(h.present).toBe(HISTORY_LIMIT + 49);
    expect(h.past[0]).toBe(49);
  });
});

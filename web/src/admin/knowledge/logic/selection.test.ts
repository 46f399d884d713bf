import { describe, expect, it } from 'vitest';
import { inViewOnly, toggled, toggledAll } from './selection';

describe('the articles chosen for a move', () => {
  it('toggles one, all in view, or none', () => {
    let s = toggled(new Set(), 'a', true);
    s = toggled(s, 'b', true);
    expect([...toggled(s, 'a', false)]).toEqual(['b']);
    expect([...toggledAll(s, ['a', 'b', 'c'])]).toEqual(['a', 'b', 'c']);
    expect([...toggledAll(new Set(['a', 'b', 'c']), ['a', 'b', 'c'])]).toEqual([]);
    expect([...toggledAll(new Set(), [])]).toEqual([]);
  });

  it('moves only what is still in view, in the list order', () => {
    expect(inViewOnly(new Set(['c', 'a', 'gone']), ['a', 'b', 'c'])).toEqual(['a', 'c']);
  });
});

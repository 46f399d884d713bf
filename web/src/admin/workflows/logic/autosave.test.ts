import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AutoSaver, clearLocalDraft, decideOnLoad, readLocalDraft, writeLocalDraft, type SaveResult, type SaveState } from './autosave';
import { deliveryFlow } from './fixtures';

beforeEach(() => {
  vi.useFakeTimers();
  localStorage.clear();
});
afterEach(() => vi.useRealTimers());

function saver(results: SaveResult[]) {
  const calls: number[] = [];
  const states: SaveState[] = [];
  const s = new AutoSaver(
    async () => {
      calls.push(Date.now());
      return results.shift() ?? { kind: 'saved', revision: 99 };
    },
    (st) => states.push(st),
    { delay: 800, maxWait: 3000, retryMin: 1000, retryMax: 4000 },
  );
  return { s, calls, states };
}

describe('the local copy of a draft', () => {
  it('is kept per workflow and survives a reload; junk reads as nothing', () => {
    const d = { revision: 3, at: 1, name: 'Доставка', document: deliveryFlow(), tests: [] };
    writeLocalDraft(localStorage, 7, d);
    expect(readLocalDraft(localStorage, 7)).toEqual(d);
    expect(readLocalDraft(localStorage, 8)).toBeNull();
    localStorage.setItem('frontline.workflow-draft.9', '{nope');
    expect(readLocalDraft(localStorage, 9)).toBeNull();
    clearLocalDraft(localStorage, 7);
    expect(readLocalDraft(localStorage, 7)).toBeNull();
  });

  it('decides what opens: the server’s, the restored edit, or a conflict', () => {
    const local = { revision: 3, at: 1, name: 'x', document: deliveryFlow(), tests: [] };
    const differs = () => false;
    expect(decideOnLoad(3, null, differs)).toBe('server');
    expect(decideOnLoad(3, local, differs)).toBe('restore');
    expect(decideOnLoad(4, local, differs)).toBe('conflict');
    // The same content as the server has: nothing to restore, whatever the revision.
    expect(decideOnLoad(4, local, () => true)).toBe('server');
  });
});

describe('debounced saving', () => {
  it('saves once after the edits stop, and no later than maxWait while they go on', async () => {
    const { s, calls, states } = saver([]);
    s.changed();
    vi.advanceTimersByTime(500);
    s.changed();
    vi.advanceTimersByTime(799);
    expect(calls).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toHaveLength(1);
    expect(states).toEqual(['pending', 'pending', 'saving', 'saved']);
    // Typing without a pause still saves within maxWait.
    for (let i = 0; i < 10; i++) {
      s.changed();
      await vi.advanceTimersByTimeAsync(400);
    }
    expect(calls).toHaveLength(2);
    expect(calls[1]! - calls[0]!).toBeLessThanOrEqual(3000 + 800 + 400);
  });

  it('an edit during a save is saved right after it', async () => {
    let release!: (r: SaveResult) => void;
    const states: SaveState[] = [];
    let count = 0;
    const s = new AutoSaver(
      () => {
        count++;
        return count === 1 ? new Promise<SaveResult>((r) => (release = r)) : Promise.resolve({ kind: 'saved', revision: 3 });
      },
      (st) => states.push(st),
      { delay: 800, maxWait: 3000, retryMin: 1000, retryMax: 4000 },
    );
    s.changed();
    await vi.advanceTimersByTimeAsync(800);
    s.changed();
    release({ kind: 'saved', revision: 2 });
    await vi.advanceTimersByTimeAsync(0);
    await vi.advanceTimersByTimeAsync(0);
    expect(count).toBe(2);
    expect(s.state).toBe('saved');
  });

  it('offline retries with backoff; a conflict stops until resolved; flush saves now', async () => {
    const { s, calls } = saver([{ kind: 'offline' }, { kind: 'offline' }, { kind: 'saved', revision: 2 }, { kind: 'conflict' }]);
    s.changed();
    await vi.advanceTimersByTimeAsync(800);
    expect(s.state).toBe('offline');
    await vi.advanceTimersByTimeAsync(1000);
    expect(calls).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1999);
    expect(calls).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toHaveLength(3);
    expect(s.state).toBe('saved');

    s.changed();
    expect(await s.flush()).toBe('conflict');
    s.changed();
    await vi.advanceTimersByTimeAsync(5000);
    expect(calls).toHaveLength(4);
    s.resolved(true);
    expect(s.state).toBe('pending');
    expect(await s.flush()).toBe('saved');
    expect(calls).toHaveLength(5);
    expect(await s.flush()).toBe('saved');
    expect(calls).toHaveLength(5);
  });
});

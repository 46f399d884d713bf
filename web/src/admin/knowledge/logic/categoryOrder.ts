// Reordering categories: the whole order is sent at once (`PUT /kb/category-order` takes every
// key exactly once), so a move is a pure function of the current keys.

/** `keys` with the item at `from` moved to `to` (both clamped); the same array when nothing moves. */
export function moveTo(keys: readonly string[], from: number, to: number): string[] {
  const last = keys.length - 1;
  const t = Math.max(0, Math.min(last, to));
  if (from < 0 || from > last || from === t) return [...keys];
  const next = [...keys];
  const [moved] = next.splice(from, 1);
  next.splice(t, 0, moved!);
  return next;
}

/** `key` one place up (`-1`) or down (`+1`). */
export function moveBy(keys: readonly string[], key: string, delta: -1 | 1): string[] {
  const i = keys.indexOf(key);
  return i < 0 ? [...keys] : moveTo(keys, i, i + delta);
}

export const sameOrder = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((k, i) => k === b[i]);

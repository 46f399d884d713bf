// The articles chosen on the list for a bulk move: a set of keys that survives paging and filter
// changes only for the articles still in view, so a move never takes articles the admin no longer sees.
export const MAX_MOVED = 500;

export function toggled(selected: ReadonlySet<string>, key: string, on: boolean): Set<string> {
  const next = new Set(selected);
  if (on) next.add(key);
  else next.delete(key);
  return next;
}

/** All the keys in view selected, or none when all of them already are. */
export function toggledAll(selected: ReadonlySet<string>, inView: readonly string[]): Set<string> {
  const all = inView.length > 0 && inView.every((k) => selected.has(k));
  return all ? new Set() : new Set(inView);
}

/** The selection kept to what is in view (after a new search or filter), in the list's order. */
export function inViewOnly(selected: ReadonlySet<string>, inView: readonly string[]): string[] {
  return inView.filter((k) => selected.has(k));
}

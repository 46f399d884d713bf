// A readable diff of two texts for an article's history: words and spaces compared with Myers'
// algorithm, so an edited sentence shows the words that changed, not the whole paragraph twice.
// The common start and end are cut off first, and an edit too large to compare word by word
// (past `maxEdits`) is shown as the old middle removed and the new one added.

export type DiffKind = 'same' | 'added' | 'removed';

export interface DiffPart {
  kind: DiffKind;
  text: string;
}

/** Words (letters and digits), runs of spaces, and single other characters. */
export function tokens(text: string): string[] {
  return text.match(/\s+|[\p{L}\p{N}]+|[^\s\p{L}\p{N}]/gu) ?? [];
}

function push(out: DiffPart[], kind: DiffKind, text: string) {
  if (!text) return;
  const last = out[out.length - 1];
  if (last && last.kind === kind) last.text += text;
  else out.push({ kind, text });
}

/** The shortest edit of `a` into `b` (Myers 1986), or null past `maxEdits`. */
function myers(a: readonly string[], b: readonly string[], maxEdits: number): DiffPart[] | null {
  const n = a.length;
  const m = b.length;
  const max = Math.min(n + m, maxEdits);
  const off = max + 1;
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  for (let d = 0; d <= max; d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[k - 1 + off]! < v[k + 1 + off]!) ? v[k + 1 + off]! : v[k - 1 + off]! + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[k + off] = x;
      if (x >= n && y >= m) return backtrack(a, b, trace, off, d);
    }
  }
  return null;
}

function backtrack(a: readonly string[], b: readonly string[], trace: Int32Array[], off: number, edits: number): DiffPart[] {
  const parts: DiffPart[] = [];
  let x = a.length;
  let y = b.length;
  for (let d = edits; d > 0; d--) {
    const v = trace[d]!;
    const k = x - y;
    const down = k === -d || (k !== d && v[k - 1 + off]! < v[k + 1 + off]!);
    const prevK = down ? k + 1 : k - 1;
    const prevX = v[prevK + off]!;
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      x--;
      y--;
      parts.push({ kind: 'same', text: a[x]! });
    }
    if (down) parts.push({ kind: 'added', text: b[--y]! });
    else parts.push({ kind: 'removed', text: a[--x]! });
  }
  while (x > 0 && y > 0) {
    x--;
    y--;
    parts.push({ kind: 'same', text: a[x]! });
  }
  return parts.reverse();
}

export function diffText(before: string, after: string, maxEdits = 1000): DiffPart[] {
  const a = tokens(before);
  const b = tokens(after);
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let end = 0;
  while (end < a.length - start && end < b.length - start && a[a.length - 1 - end] === b[b.length - 1 - end]) end++;
  const midA = a.slice(start, a.length - end);
  const midB = b.slice(start, b.length - end);
  const out: DiffPart[] = [];
  push(out, 'same', a.slice(0, start).join(''));
  const middle = myers(midA, midB, maxEdits) ?? [
    { kind: 'removed' as const, text: midA.join('') },
    { kind: 'added' as const, text: midB.join('') },
  ];
  for (const p of middle) push(out, p.kind, p.text);
  push(out, 'same', a.slice(a.length - end).join(''));
  return out;
}

/** Whether the diff changes anything at all. */
export const changes = (parts: readonly DiffPart[]) => parts.some((p) => p.kind !== 'same');

/**
 * The diff with long unchanged stretches shortened to the `context` characters next to the
 * changes, so a one-word edit of a long article reads at a glance.
 */
export type CondensedPart = DiffPart | { kind: 'gap' };

export function condense(parts: readonly DiffPart[], context = 80): CondensedPart[] {
  return parts.flatMap((p, i): CondensedPart[] => {
    if (p.kind !== 'same' || p.text.length <= context * 2 + 20) return [p];
    // Before the first change only its lead-in matters, after the last only what follows it.
    const head = i === 0 ? '' : p.text.slice(0, context);
    const tail = i === parts.length - 1 ? '' : p.text.slice(-context);
    return [...(head ? [{ kind: 'same' as const, text: head }] : []), { kind: 'gap' as const }, ...(tail ? [{ kind: 'same' as const, text: tail }] : [])];
  });
}

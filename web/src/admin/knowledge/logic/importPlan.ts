// Reading an import's preview: which kind of file it is, how many items each action touches, its
// problems in the file's order, and whether it can be confirmed. The same preview serves files
// and shops; a file with problems is refused by the server, so it cannot be confirmed here either.
import type { KbFileFormat, KbImportAction, KbImportProblem, KbImportResult } from '../api';

export type ImportKind = KbFileFormat | 'opencart-dump';

/** The import a file is, by its name's extension; null when it is none of them. */
export function kindOfFile(name: string): ImportKind | null {
  const ext = name.toLowerCase().split('.').pop() ?? '';
  if (ext === 'json') return 'json';
  if (ext === 'csv') return 'csv';
  if (ext === 'md' || ext === 'markdown' || ext === 'txt') return 'markdown';
  if (ext === 'sql') return 'opencart-dump';
  return null;
}

export type ActionCounts = Record<KbImportAction, number>;

export function countActions(items: readonly { action: KbImportAction }[]): ActionCounts {
  const c: ActionCounts = { create: 0, update: 0, unchanged: 0, skip: 0 };
  for (const i of items) c[i.action] += 1;
  return c;
}

/** Problems by line (then item), those without a place last. */
export function problemsInOrder(problems: readonly KbImportProblem[]): KbImportProblem[] {
  const at = (p: KbImportProblem) => p.line ?? p.item ?? Number.MAX_SAFE_INTEGER;
  return [...problems].sort((a, b) => at(a) - at(b));
}

/** Whether confirming the preview would write anything, and is allowed to. */
export function canConfirm(r: KbImportResult): boolean {
  if (!r.dry_run || r.problems.length > 0) return false;
  const a = countActions(r.articles);
  const c = countActions(r.categories);
  return a.create + a.update + c.create + c.update > 0;
}

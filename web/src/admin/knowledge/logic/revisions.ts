// What one version of an article changed from the one before it, as the history shows it: the
// server names the changed fields; the old and new values and the text's diff are worked out here.
import type { KbRevision } from '../api';
import { diffText, type DiffPart } from './textDiff';

export interface RevisionChanges {
  title?: { from: string; to: string };
  category?: { from: string; to: string };
  published?: { from: boolean; to: boolean };
  tags?: { added: string[]; removed: string[] };
  body?: DiffPart[];
}

/** The changes of `rev` over `previous` (the next older version), for the fields the server says changed. */
export function revisionChanges(rev: KbRevision, previous: KbRevision | undefined): RevisionChanges {
  if (!previous) return {};
  const out: RevisionChanges = {};
  for (const field of rev.changed) {
    switch (field) {
      case 'title':
        out.title = { from: previous.title, to: rev.title };
        break;
      case 'category':
        out.category = { from: previous.category, to: rev.category };
        break;
      case 'published':
        out.published = { from: previous.published, to: rev.published };
        break;
      case 'tags': {
        const lower = (ts: string[]) => new Set(ts.map((t) => t.toLowerCase()));
        const before = lower(previous.tags);
        const after = lower(rev.tags);
        out.tags = { added: rev.tags.filter((t) => !before.has(t.toLowerCase())), removed: previous.tags.filter((t) => !after.has(t.toLowerCase())) };
        break;
      }
      case 'body':
        out.body = diffText(previous.body, rev.body);
        break;
    }
  }
  return out;
}

/** Each version with the one before it (the history comes newest first). */
export function withPrevious(history: readonly KbRevision[]): { rev: KbRevision; previous: KbRevision | undefined }[] {
  return history.map((rev, i) => ({ rev, previous: history[i + 1] }));
}

/** Whether restoring `rev` would change the article as it is now (`current`, the newest version). */
export function restoreChanges(rev: KbRevision, current: KbRevision | undefined): boolean {
  if (!current || current.version === rev.version) return false;
  return (
    rev.title !== current.title ||
    rev.body !== current.body ||
    rev.category !== current.category ||
    rev.published !== current.published ||
    rev.tags.join('\u0000') !== current.tags.join('\u0000')
  );
}

// A save refused because somebody else saved, created or deleted the article since this edit
// started (409 `kb_article_conflict`): what the editor shows and what it does with the admin's
// choice. The server checks the version the edit started from (`base`) and writes nothing when
// it is stale; the edit is never lost here either.
import type { KbArticle } from '../api';
import { draftOf, type ArticleDraft } from './draft';

export interface Conflict {
  /** The article as it is stored now; `null` when it was deleted. */
  current: KbArticle | null;
  /** The text this edit would have saved, kept to show beside theirs. */
  mine: ArticleDraft;
}

/** `keep`: go on with my text over their version; `theirs`: drop my edit and load theirs. */
export type Choice = 'keep' | 'theirs';

export interface Resolved {
  draft: ArticleDraft;
  /** The version the next save starts from (0: the article no longer exists, a save creates it). */
  base: number;
  /** The stored article the editor now compares against (`null` when deleted). */
  saved: KbArticle | null;
}

export function resolveConflict(c: Conflict, choice: Choice): Resolved {
  if (choice === 'theirs' && c.current) return { draft: draftOf(c.current), base: c.current.version, saved: c.current };
  return { draft: c.mine, base: c.current?.version ?? 0, saved: c.current };
}

/** Which text to show as theirs, and whether a choice to take it exists. */
export function theirText(c: Conflict): { body: string | null; canTakeTheirs: boolean } {
  return { body: c.current?.body ?? null, canTakeTheirs: c.current !== null };
}

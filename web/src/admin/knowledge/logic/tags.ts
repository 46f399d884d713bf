// Tags as the editor takes them: typed with commas or Enter, trimmed, once each in any case (the
// server drops case-insensitive repeats too), at most 30 of at most 60 characters.
export const MAX_TAGS = 30;
export const MAX_TAG_CHARS = 60;

/** `existing` plus the tags in `typed` (split on `,` and `;`), without repeats. */
export function addTags(existing: readonly string[], typed: string): string[] {
  const out = [...existing];
  for (const raw of typed.split(/[,;]/)) {
    const tag = raw.trim().replace(/\s+/g, ' ');
    if (!tag || out.some((t) => t.toLowerCase() === tag.toLowerCase())) continue;
    out.push(tag);
  }
  return out;
}

export const removeTag = (tags: readonly string[], tag: string) => tags.filter((t) => t !== tag);

/** What is wrong with the tags, as an i18n key under `kb.editor.`, or null. */
export function tagsProblem(tags: readonly string[]): string | null {
  if (tags.length > MAX_TAGS) return 'tooManyTags';
  if (tags.some((t) => [...t].length > MAX_TAG_CHARS)) return 'longTag';
  return null;
}

// Long text cut short for a preview (a quoted reply, a link card's description). CSS clamps the
// lines on screen; this bounds what goes into the DOM and folds line breaks that a one–two-line
// box would otherwise spend on blank lines.

/**
 * `text` with runs of whitespace (line breaks included) folded to one space, cut to at most `max`
 * characters with an ellipsis, at the last word boundary when one is near enough not to lose
 * much. Cuts between code points, never inside an emoji's surrogate pair.
 */
export function excerpt(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  const chars = Array.from(flat);
  if (chars.length <= max) return flat;
  const head = chars.slice(0, Math.max(0, max - 1)).join('');
  const space = head.lastIndexOf(' ');
  const cut = space >= head.length * 0.6 ? head.slice(0, space) : head;
  return cut.replace(/[\s.,;:!?–—-]+$/, '') + '…';
}

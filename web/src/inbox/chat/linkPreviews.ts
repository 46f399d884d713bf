// The card under a message with a link, from the channel's preview of the page. Everything in it
// came from outside: the link and the picture are used only when they are http(s).
import type { LinkPreview } from '../../shared/api/types';
import { excerpt } from '../../shared/format/excerpt';
import { safeHttpUrl } from '../../shared/format/sanitize';

/** About three lines of the card; the rest is cut before it reaches the DOM. */
export const DESCRIPTION_CHARS = 200;
export const TITLE_CHARS = 120;

export interface LinkCardView {
  /** The page, when safe to link to; otherwise the card shows but is not a link. */
  href: string | null;
  image: string | null;
  title: string | null;
  description: string | null;
  domain: string | null;
}

/**
 * What the card shows, or `null` when the preview has nothing beyond the link itself (the link is
 * already in the message's text). The domain falls back to the link's host.
 */
export function linkCardView(p: LinkPreview | null | undefined): LinkCardView | null {
  if (!p) return null;
  const href = safeHttpUrl(p.url);
  const image = safeHttpUrl(p.image_url);
  const title = p.title ? excerpt(p.title, TITLE_CHARS) || null : null;
  const description = p.description ? excerpt(p.description, DESCRIPTION_CHARS) || null : null;
  if (!title && !description && !image) return null;
  const domain = p.domain?.trim() || (href ? new URL(href).hostname : null);
  return { href, image, title, description, domain };
}

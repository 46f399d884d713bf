// An article's Markdown as the preview shows it. micromark is CommonMark-exact and safe by default:
// raw HTML in the text comes out escaped, and `javascript:`-style link targets are dropped, so the
// result can be put into the page as is.
import { micromark } from 'micromark';

export function renderMarkdown(text: string): string {
  return micromark(text, { allowDangerousHtml: false, allowDangerousProtocol: false });
}

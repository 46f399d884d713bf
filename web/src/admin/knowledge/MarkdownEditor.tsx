// An article's text: Markdown typed on the left, shown on the right as customers' answers are
// written from it (the preview renders no raw HTML).
import { useDeferredValue, useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { renderMarkdown } from './logic/markdown';
import { MAX_BODY_CHARS } from './logic/draft';

export function MarkdownEditor(props: { value: string; onChange: (value: string) => void; invalid?: boolean }) {
  const { t } = useTranslation();
  // A long article re-renders its preview a beat behind the typing, never in the way of it.
  const shown = useDeferredValue(props.value);
  const html = useMemo(() => renderMarkdown(shown), [shown]);
  const length = [...props.value].length;
  return (
    <div className="kb-md">
      <label className="kb-md-source">
        <span className="kb-label">
          {t('kb.editor.body')} <span className="kb-hint">{t('kb.editor.markdownHint')}</span>
        </span>
        <textarea value={props.value} onChange={(e) => props.onChange(e.target.value)} aria-invalid={props.invalid || undefined} data-testid="kb-body" spellCheck />
        <span className={`kb-hint kb-length${length > MAX_BODY_CHARS ? ' over' : ''}`}>{t('kb.editor.length', { n: length, max: MAX_BODY_CHARS })}</span>
      </label>
      <div className="kb-md-preview-wrap">
        <span className="kb-label">{t('kb.editor.preview')}</span>
        {/* renderMarkdown escapes raw HTML and drops unsafe link targets (logic/markdown.ts). */}
        <div className="kb-md-preview" data-testid="kb-preview" dangerouslySetInnerHTML={{ __html: html }} />
      </div>
    </div>
  );
}

// Tags as chips: typed and added with Enter or a comma, removed with their cross.
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { addTags, removeTag } from './logic/tags';

export function TagsInput(props: { tags: string[]; onChange: (tags: string[]) => void }) {
  const { t } = useTranslation();
  const [typed, setTyped] = useState('');
  const commit = (text: string) => {
    props.onChange(addTags(props.tags, text));
    setTyped('');
  };
  return (
    <div className="kb-tags-input" data-testid="kb-tags">
      {props.tags.map((tag) => (
        <span key={tag} className="kb-tag" data-testid="kb-tag">
          {tag}
          <button type="button" className="kb-tag-remove" onClick={() => props.onChange(removeTag(props.tags, tag))} aria-label={t('kb.editor.removeTag', { tag })}>
            ×
          </button>
        </span>
      ))}
      <input
        value={typed}
        onChange={(e) => (/[,;]/.test(e.target.value) ? commit(e.target.value) : setTyped(e.target.value))}
        onKeyDown={(e) => {
          if (e.key === 'Enter') {
            e.preventDefault();
            if (typed.trim()) commit(typed);
          } else if (e.key === 'Backspace' && typed === '' && props.tags.length > 0) {
            props.onChange(props.tags.slice(0, -1));
          }
        }}
        onBlur={() => typed.trim() && commit(typed)}
        placeholder={props.tags.length ? '' : t('kb.editor.tagsPlaceholder')}
        aria-label={t('kb.editor.tags')}
        data-testid="kb-tag-input"
      />
    </div>
  );
}

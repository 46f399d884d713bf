// The ⚡ panel: a searchable list of templates, picked with the mouse or the arrows and Enter.
import { useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { QuickReply } from '../../shared/api/types';
import { filterQuickReplies } from './quickReplyTemplates';

export function QuickRepliesPanel(props: { replies: QuickReply[]; onPick: (q: QuickReply) => void; onClose: () => void }) {
  const { t } = useTranslation();
  const [q, setQ] = useState('');
  const [sel, setSel] = useState(0);
  const input = useRef<HTMLInputElement>(null);
  const list = useMemo(() => filterQuickReplies(props.replies, q), [q, props.replies]);
  useEffect(() => input.current?.focus(), []);
  useEffect(() => setSel(0), [q]);
  return (
    <div className="quick-replies-panel" data-testid="quick-replies-panel" role="dialog" aria-label={t('composer.quickReplies')}>
      <input
        ref={input}
        type="search"
        data-testid="quick-replies-search"
        placeholder={t('composer.quickSearch')}
        value={q}
        onChange={(e) => setQ(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'ArrowDown') {
            e.preventDefault();
            setSel((i) => Math.min(list.length - 1, i + 1));
          } else if (e.key === 'ArrowUp') {
            e.preventDefault();
            setSel((i) => Math.max(0, i - 1));
          } else if (e.key === 'Enter') {
            e.preventDefault();
            const r = list[sel];
            if (r) props.onPick(r);
          } else if (e.key === 'Escape') {
            e.preventDefault();
            props.onClose();
          }
        }}
      />
      <div className="qr-list" role="listbox">
        {list.length === 0 && <div className="list-empty">{t('composer.noQuick')}</div>}
        {list.map((r, i) => (
          <div
            key={r.id}
            role="option"
            aria-selected={i === sel}
            className={'quick-reply-item' + (i === sel ? ' selected' : '')}
            data-testid="quick-reply-item"
            onMouseEnter={() => setSel(i)}
            onMouseDown={(e) => e.preventDefault()}
            onClick={() => props.onPick(r)}
          >
            <div className="qr-title">{r.title}</div>
            <div className="qr-text">{r.text}</div>
          </div>
        ))}
      </div>
    </div>
  );
}

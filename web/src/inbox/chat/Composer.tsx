// The composer: the draft (kept per conversation), files being attached, the ⚡ quick replies, and
// sending with Enter (Shift+Enter for a new line). It holds only what is being typed; uploads and
// sends are the store's, handed in by the chat window.
import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { errorText } from '../../shared/api/errors';
import type { Attachment, QuickReply } from '../../shared/api/types';
import { BoltIcon, ClipIcon, SendIcon } from '../../shared/ui/Icons';
import { loadDraft, saveDraft } from './drafts';
import { QuickRepliesPanel } from './QuickReplies';
import { insertQuickReply } from './quickReplyTemplates';
import { isUploading, readyAttachments, type Upload } from './uploads';

export interface ComposerProps {
  conversationId: number;
  online: boolean;
  quickReplies: QuickReply[];
  placeholderValues: Record<string, string>;
  uploads: readonly Upload[];
  onAttach: (files: File[]) => void;
  onRemoveUpload: (key: string) => void;
  onSend: (text: string, attachments: Attachment[]) => Promise<void>;
}

export function Composer(props: ComposerProps) {
  const { t } = useTranslation();
  const { conversationId } = props;
  const [text, setText] = useState(() => loadDraft(conversationId));
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [qrOpen, setQrOpen] = useState(false);
  const area = useRef<HTMLTextAreaElement>(null);
  const file = useRef<HTMLInputElement>(null);
  const pendingSelection = useRef<[number, number] | null>(null);

  // The parent gives each conversation its own instance (key), so the draft never crosses chats.
  useEffect(() => saveDraft(conversationId, text), [conversationId, text]);

  useLayoutEffect(() => {
    const el = area.current;
    if (!el) return;
    el.style.height = 'auto';
    el.style.height = Math.min(el.scrollHeight, 200) + 'px';
    if (pendingSelection.current) {
      el.focus();
      el.setSelectionRange(pendingSelection.current[0], pendingSelection.current[1]);
      pendingSelection.current = null;
    }
  }, [text]);

  const { uploads } = props;
  const ready = readyAttachments(uploads);
  const uploading = isUploading(uploads);
  const canSend = props.online && !sending && !uploading && (text.trim() !== '' || ready.length > 0);

  async function send() {
    if (!canSend) return;
    setSending(true);
    setError(null);
    const body = text;
    try {
      await props.onSend(body.trim(), ready);
      setText((cur) => (cur === body ? '' : cur));
    } catch (e) {
      setError(t('composer.sendFailed', { error: errorText(e) }));
    } finally {
      setSending(false);
      area.current?.focus();
    }
  }

  function pickQuick(q: QuickReply) {
    const el = area.current;
    const start = el?.selectionStart ?? text.length;
    const end = el?.selectionEnd ?? text.length;
    const next = insertQuickReply(text, start, end, q.text, props.placeholderValues);
    pendingSelection.current = next.selection;
    setText(next.text);
    setQrOpen(false);
  }

  return (
    <div className="composer">
      {uploads.length > 0 && (
        <div className="uploads">
          {uploads.map((u) => (
            <span key={u.key} className={'upload' + (u.error ? ' failed' : '')}>
              {u.error
                ? t('composer.uploadFailed', { name: u.name, error: u.error })
                : u.attachment
                  ? u.name
                  : t('composer.uploading', { name: u.name, percent: Math.round(u.progress * 100) })}
              <button type="button" className="text-btn" aria-label={t('composer.removeAttachment')} onClick={() => props.onRemoveUpload(u.key)}>
                ×
              </button>
            </span>
          ))}
        </div>
      )}
      {error && (
        <div className="error-line" role="alert">
          {error}
        </div>
      )}
      {!props.online && <div className="offline-line">{t('composer.offline')}</div>}
      <div className="composer-row">
        <button type="button" className="icon-btn" data-testid="composer-attach" title={t('composer.attach')} aria-label={t('composer.attach')} onClick={() => file.current?.click()}>
          <ClipIcon />
        </button>
        <input
          ref={file}
          type="file"
          multiple
          hidden
          data-testid="composer-file"
          onChange={(e) => {
            if (e.target.files) props.onAttach(Array.from(e.target.files));
            e.target.value = '';
          }}
        />
        <div className="qr-anchor">
          <button type="button" className="icon-btn" data-testid="quick-replies-button" title={t('composer.quickReplies')} aria-label={t('composer.quickReplies')} aria-expanded={qrOpen} onClick={() => setQrOpen((o) => !o)}>
            <BoltIcon />
          </button>
          {qrOpen && <QuickRepliesPanel replies={props.quickReplies} onPick={pickQuick} onClose={() => setQrOpen(false)} />}
        </div>
        <textarea
          ref={area}
          rows={1}
          data-testid="composer-input"
          placeholder={t('composer.placeholder')}
          value={text}
          onChange={(e) => setText(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
              e.preventDefault();
              void send();
            }
          }}
        />
        <button type="button" className="send-btn" data-testid="composer-send" disabled={!canSend} onClick={() => void send()} aria-label={t('composer.send')}>
          <SendIcon />
        </button>
      </div>
    </div>
  );
}

import { BoltIcon, ClipIcon, SendIcon } from '../../shared/ui/Icons';
import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Attachment, QuickReply } from '../../shared/api/types';
import { uploadMedia } from '../../shared/api/client';
import { loadDraft, saveDraft } from './drafts';
import { fillPlaceholders } from './placeholders';
import { errorText } from '../../store';
import { QuickRepliesPanel } from './QuickReplies';

interface Upload {
  key: string;
  name: string;
  progress: number;
  error: string | null;
  attachment: Attachment | null;
}

export interface ComposerProps {
  conversationId: number;
  online: boolean;
  quickReplies: QuickReply[];
  placeholderValues: Record<string, string>;
  onSend: (text: string, attachments: Attachment[]) => Promise<void>;
}

export function Composer(props: ComposerProps) {
  const { t } = useTranslation();
  const { conversationId } = props;
  const [text, setText] = useState(() => loadDraft(conversationId));
  const [uploads, setUploads] = useState<Upload[]>([]);
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

  const ready = uploads.filter((u) => u.attachment).map((u) => u.attachment as Attachment);
  const uploading = uploads.some((u) => !u.attachment && !u.error);
  const canSend = props.online && !sending && !uploading && (text.trim() !== '' || ready.length > 0);

  async function send() {
    if (!canSend) return;
    setSending(true);
    setError(null);
    const body = text;
    try {
      await props.onSend(body.trim(), ready);
      setText((cur) => (cur === body ? '' : cur));
      setUploads([]);
    } catch (e) {
      setError(t('composer.sendFailed', { error: errorText(e) }));
    } finally {
      setSending(false);
      area.current?.focus();
    }
  }

  function pickQuick(q: QuickReply) {
    const el = area.current;
    const filled = fillPlaceholders(q.text, props.placeholderValues);
    const start = el?.selectionStart ?? text.length;
    const end = el?.selectionEnd ?? text.length;
    const next = text.slice(0, start) + filled.text + text.slice(end);
    pendingSelection.current = filled.unfilled
      ? [start + filled.unfilled[0], start + filled.unfilled[1]]
      : [start + filled.text.length, start + filled.text.length];
    setText(next);
    setQrOpen(false);
  }

  function addFiles(files: FileList | null) {
    if (!files) return;
    for (const f of Array.from(files)) {
      const key = `${Date.now()}-${Math.random()}`;
      setUploads((u) => [...u, { key, name: f.name, progress: 0, error: null, attachment: null }]);
      uploadMedia(f, (p) => setUploads((u) => u.map((x) => (x.key === key ? { ...x, progress: p } : x))))
        .then((r) => {
          const attachment: Attachment = {
            type: r.mime.startsWith('image/') ? 'image' : 'file',
            url: r.url,
            name: f.name,
            mime: r.mime,
            size: r.size,
          };
          setUploads((u) => u.map((x) => (x.key === key ? { ...x, progress: 1, attachment } : x)));
        })
        .catch((e: unknown) => setUploads((u) => u.map((x) => (x.key === key ? { ...x, error: errorText(e) } : x))));
    }
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
              <button type="button" className="text-btn" aria-label={t('composer.removeAttachment')} onClick={() => setUploads((x) => x.filter((y) => y.key !== u.key))}>
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
            addFiles(e.target.files);
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

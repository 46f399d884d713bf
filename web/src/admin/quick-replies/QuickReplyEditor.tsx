// Writing a quick reply: title, text with placeholders (picked from the list or typed), shared or
// the admin's own, and the live preview beside it. Used for a new reply and for editing one (the
// server does not move a reply between the bank and a person: the scope is chosen once).
import { useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { QuickReply } from '../../shared/api/types';
import { Field } from '../forms/Field';
import { type FieldErrors, placeError } from '../forms/fieldErrors';
import type { QuickReplyRequest } from './api';
import { insertPlaceholder, unknownPlaceholders } from './placeholders';
import { PlaceholderPicker } from './PlaceholderPicker';
import { QuickReplyPreview } from './QuickReplyPreview';
import { QR_FIELDS, type QrDraft, type QrField, TEXT_MAX, checkQrDraft, draftOf, emptyQrDraft } from './quickReplyForm';

export function QuickReplyEditor(props: {
  editing?: QuickReply;
  operatorName: string | undefined;
  onSave: (req: QuickReplyRequest) => Promise<QuickReply>;
  onSaved: (q: QuickReply) => void;
  onCancel?: () => void;
}) {
  const { t } = useTranslation();
  const [draft, setDraft] = useState<QrDraft>(() => (props.editing ? draftOf(props.editing) : emptyQrDraft()));
  const [errors, setErrors] = useState<FieldErrors<QrField>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const textArea = useRef<HTMLTextAreaElement>(null);
  const edit = (field: QrField, value: string) => {
    setDraft((d) => ({ ...d, [field]: value }));
    setErrors((e) => ({ ...e, [field]: undefined }));
  };

  const pick = (key: string) => {
    const el = textArea.current;
    const start = el?.selectionStart ?? draft.text.length;
    const end = el?.selectionEnd ?? draft.text.length;
    const next = insertPlaceholder(draft.text, start, end, key);
    edit('text', next.text);
    requestAnimationFrame(() => {
      el?.focus();
      el?.setSelectionRange(next.caret, next.caret);
    });
  };

  const submit = async () => {
    setFormError(null);
    const checked = checkQrDraft(draft, t);
    if ('errors' in checked) {
      setErrors(checked.errors);
      return;
    }
    setBusy(true);
    try {
      const saved = await props.onSave(checked.request);
      if (!props.editing) setDraft(emptyQrDraft(draft.shared));
      setErrors({});
      props.onSaved(saved);
    } catch (e) {
      const placed = placeError(e, QR_FIELDS);
      setErrors(placed.fields);
      setFormError(placed.form);
    } finally {
      setBusy(false);
    }
  };

  const unknown = unknownPlaceholders(draft.text);
  return (
    <form
      className="adm-form qr-editor"
      data-testid="qr-editor"
      data-editing={props.editing?.id}
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <h3>{props.editing ? t('qr.editTitle') : t('qr.createTitle')}</h3>
      <div className="qr-editor-grid">
        <div className="qr-editor-fields">
          <Field name="title" label={t('qr.title')} error={errors.title} hint={t('qr.titleHint')}>
            {(c) => <input {...c} value={draft.title} onChange={(e) => edit('title', e.target.value)} data-testid="qr-title" />}
          </Field>
          <Field
            name="text"
            label={t('qr.text')}
            error={errors.text}
            hint={unknown.length ? t('qr.unknownPlaceholders', { keys: unknown.map((k) => `{${k}}`).join(', ') }) : t('qr.textHint', { max: TEXT_MAX })}
          >
            {(c) => <textarea {...c} ref={textArea} value={draft.text} onChange={(e) => edit('text', e.target.value)} data-testid="qr-text" />}
          </Field>
          {!props.editing && (
            <fieldset className="qr-scope">
              <legend>{t('qr.scope')}</legend>
              <label>
                <input type="radio" name="qr-scope" checked={draft.shared} onChange={() => setDraft((d) => ({ ...d, shared: true }))} data-testid="qr-shared" /> {t('qr.shared')}
              </label>
              <label>
                <input type="radio" name="qr-scope" checked={!draft.shared} onChange={() => setDraft((d) => ({ ...d, shared: false }))} data-testid="qr-personal" /> {t('qr.personal')}
              </label>
            </fieldset>
          )}
          <PlaceholderPicker onPick={pick} />
        </div>
        <QuickReplyPreview text={draft.text} operatorName={props.operatorName} />
      </div>
      {formError && (
        <p className="adm-form-error" role="alert" data-testid="qr-error">
          {formError}
        </p>
      )}
      <div className="adm-actions">
        <button type="submit" className="adm-btn adm-primary" disabled={busy} data-testid="qr-save">
          {props.editing ? t('adminForms.save') : t('qr.create')}
        </button>
        {props.onCancel && (
          <button type="button" className="adm-btn" onClick={props.onCancel} data-testid="qr-cancel">
            {t('adminForms.cancel')}
          </button>
        )}
      </div>
    </form>
  );
}

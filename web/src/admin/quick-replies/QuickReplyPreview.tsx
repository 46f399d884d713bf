// What the operator's composer will put in the draft: the template filled from a sample
// conversation, or from one with no values, with what stays unfilled marked.
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { preview } from './placeholders';

export function QuickReplyPreview(props: { text: string; operatorName: string | undefined }) {
  const { t } = useTranslation();
  const [withValues, setWithValues] = useState(true);
  const parts = preview(props.text, props.operatorName, withValues);
  return (
    <div className="qr-preview" data-testid="qr-preview">
      <div className="adm-actions">
        <strong>{t('qr.preview.title')}</strong>
        <label className="adm-hint">
          <input type="checkbox" checked={!withValues} onChange={(e) => setWithValues(!e.target.checked)} data-testid="qr-preview-empty" /> {t('qr.preview.noValues')}
        </label>
      </div>
      <div className="qr-preview-bubble" data-testid="qr-preview-text">
        {parts.length === 0 && <span className="adm-hint">{t('qr.preview.empty')}</span>}
        {parts.map((p, i) =>
          p.unfilled ? (
            <mark key={i} className="qr-unfilled" data-testid="qr-unfilled">
              {p.text}
            </mark>
          ) : (
            <span key={i}>{p.text}</span>
          ),
        )}
      </div>
      {parts.some((p) => p.unfilled) && <p className="adm-hint">{t('qr.preview.unfilledHint')}</p>}
    </div>
  );
}

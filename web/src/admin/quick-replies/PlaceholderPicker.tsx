// The placeholders a reply may hold, each with what it is filled with; a click puts it at the caret.
import { useTranslation } from 'react-i18next';
import { PLACEHOLDERS } from './placeholders';

export function PlaceholderPicker(props: { onPick: (key: string) => void }) {
  const { t } = useTranslation();
  return (
    <div className="qr-placeholders" data-testid="qr-placeholders">
      <p className="adm-hint">{t('qr.placeholders.intro')}</p>
      <ul>
        {PLACEHOLDERS.map((p) => (
          <li key={p.key}>
            <button
              type="button"
              className="adm-btn qr-chip"
              // Keeps the textarea's selection: the placeholder goes where the caret was.
              onMouseDown={(e) => e.preventDefault()}
              onClick={() => props.onPick(p.key)}
              data-testid="qr-placeholder"
              data-key={p.key}
            >
              {`{${p.key}}`}
            </button>{' '}
            <span className="adm-hint">{p.source === 'slot' ? t('qr.placeholders.slot', { what: t(`slot.${p.key}`) }) : t(`qr.placeholders.${p.key}`)}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}

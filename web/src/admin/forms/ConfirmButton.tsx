// A destructive action asked twice: the first click turns the button into «Точно?» with the
// action and a way back, so nothing is removed by a stray click.
import { useState } from 'react';
import { useTranslation } from 'react-i18next';

export function ConfirmButton(props: { label: string; question: string; onConfirm: () => void | Promise<void>; disabled?: boolean; testId: string }) {
  const { t } = useTranslation();
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  if (!asking) {
    return (
      <button type="button" className="adm-btn adm-danger" disabled={props.disabled} onClick={() => setAsking(true)} data-testid={props.testId}>
        {props.label}
      </button>
    );
  }
  return (
    <span className="adm-confirm" role="group" data-testid={`${props.testId}-confirm`}>
      <span>{props.question}</span>
      <button
        type="button"
        className="adm-btn adm-danger-solid"
        disabled={busy}
        data-testid={`${props.testId}-yes`}
        onClick={async () => {
          setBusy(true);
          try {
            await props.onConfirm();
          } finally {
            setBusy(false);
            setAsking(false);
          }
        }}
      >
        {props.label}
      </button>
      <button type="button" className="adm-btn" onClick={() => setAsking(false)} data-testid={`${props.testId}-no`}>
        {t('adminForms.cancel')}
      </button>
    </span>
  );
}

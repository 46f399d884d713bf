// One labelled form field: the control, a hint under it, and the error that concerns it (tied to
// the control with aria-invalid and aria-describedby, so it is announced and findable).
import { useId, type ReactNode } from 'react';

export interface FieldControl {
  id: string;
  'aria-invalid': boolean;
  'aria-describedby': string | undefined;
}

export function Field(props: { name: string; label: string; error?: string | undefined; hint?: ReactNode; children: (control: FieldControl) => ReactNode }) {
  const id = useId();
  const hintId = props.hint ? `${id}-hint` : undefined;
  const errorId = props.error ? `${id}-error` : undefined;
  const describedBy = [errorId, hintId].filter(Boolean).join(' ') || undefined;
  return (
    <div className={'adm-field' + (props.error ? ' invalid' : '')} data-testid="field" data-field={props.name}>
      <label htmlFor={id}>{props.label}</label>
      {props.children({ id, 'aria-invalid': !!props.error, 'aria-describedby': describedBy })}
      {props.error && (
        <p className="adm-field-error" id={errorId} role="alert" data-testid="field-error" data-field={props.name}>
          {props.error}
        </p>
      )}
      {props.hint && (
        <p className="adm-hint" id={hintId}>
          {props.hint}
        </p>
      )}
    </div>
  );
}

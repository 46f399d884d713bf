// A new operator: login, name, password (the policy the server enforces is said under the field)
// and role. A login already taken comes back from the server as a conflict, shown at the login.
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Operator, Role } from '../../shared/api/types';
import { Field } from '../forms/Field';
import { type FieldErrors, placeError } from '../forms/fieldErrors';
import type { CreateOperatorRequest } from './api';
import { OPERATOR_FIELDS, type OperatorDraft, type OperatorField, PASSWORD_MAX, PASSWORD_MIN, checkOperatorDraft, emptyOperatorDraft } from './operatorForm';

export function OperatorCreateForm(props: { onCreate: (req: CreateOperatorRequest) => Promise<Operator>; onCreated: (op: Operator) => void }) {
  const { t } = useTranslation();
  const [draft, setDraft] = useState<OperatorDraft>(emptyOperatorDraft);
  const [errors, setErrors] = useState<FieldErrors<OperatorField>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const edit = <K extends OperatorField>(field: K, value: OperatorDraft[K]) => {
    setDraft((d) => ({ ...d, [field]: value }));
    setErrors((e) => ({ ...e, [field]: undefined }));
  };

  const submit = async () => {
    setFormError(null);
    const checked = checkOperatorDraft(draft, t);
    if ('errors' in checked) {
      setErrors(checked.errors);
      return;
    }
    setBusy(true);
    try {
      const op = await props.onCreate(checked.request);
      setDraft(emptyOperatorDraft());
      setErrors({});
      props.onCreated(op);
    } catch (e) {
      // The only conflict of this call is a login taken.
      const placed = placeError(e, OPERATOR_FIELDS, { conflict: 'login' });
      setErrors(placed.fields);
      setFormError(placed.form);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form
      className="adm-form"
      data-testid="operator-create"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <h3>{t('operators.createTitle')}</h3>
      <Field name="login" label={t('operators.login')} error={errors.login} hint={t('operators.loginHint')}>
        {(c) => <input {...c} value={draft.login} autoComplete="off" onChange={(e) => edit('login', e.target.value)} data-testid="operator-login" />}
      </Field>
      <Field name="display_name" label={t('operators.displayName')} error={errors.display_name} hint={t('operators.displayNameHint')}>
        {(c) => <input {...c} value={draft.display_name} onChange={(e) => edit('display_name', e.target.value)} data-testid="operator-name" />}
      </Field>
      <Field name="password" label={t('operators.password')} error={errors.password} hint={t('operators.passwordPolicy', { min: PASSWORD_MIN, max: PASSWORD_MAX })}>
        {(c) => <input {...c} type="password" autoComplete="new-password" value={draft.password} onChange={(e) => edit('password', e.target.value)} data-testid="operator-password" />}
      </Field>
      <Field name="role" label={t('operators.role')} error={errors.role} hint={t(`operators.roleHint.${draft.role}`)}>
        {(c) => (
          <select {...c} value={draft.role} onChange={(e) => edit('role', e.target.value as Role)} data-testid="operator-role">
            <option value="operator">{t('operators.roles.operator')}</option>
            <option value="admin">{t('operators.roles.admin')}</option>
          </select>
        )}
      </Field>
      {formError && (
        <p className="adm-form-error" role="alert" data-testid="operator-create-error">
          {formError}
        </p>
      )}
      <div className="adm-actions">
        <button type="submit" className="adm-btn adm-primary" disabled={busy} data-testid="operator-create-submit">
          {t('operators.create')}
        </button>
      </div>
    </form>
  );
}

// A new API account (a site, an app or a CRM posts its customers' messages in and takes the
// replies at its callback URL) or a voice line. The inbound token comes back once.
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Field } from '../forms/Field';
import { type FieldErrors, placeError } from '../forms/fieldErrors';
import type { AccountWithToken, CreateAccountRequest } from './api';
import { INBOUND_FIELDS, type InboundDraft, type InboundField, checkInboundDraft } from './inboundAccount';

export function InboundAccountForm(props: { kind: 'api' | 'voice'; onCreate: (req: CreateAccountRequest) => Promise<AccountWithToken>; onCreated: (r: AccountWithToken) => void }) {
  const { t } = useTranslation();
  const empty = (): InboundDraft => ({ kind: props.kind, name: '', callback_url: '' });
  const [draft, setDraft] = useState<InboundDraft>(empty);
  const [errors, setErrors] = useState<FieldErrors<InboundField>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const edit = (field: InboundField, value: string) => {
    setDraft((d) => ({ ...d, [field]: value }));
    setErrors((e) => ({ ...e, [field]: undefined }));
  };

  const submit = async () => {
    setFormError(null);
    const checked = checkInboundDraft(draft, t);
    if ('errors' in checked) {
      setErrors(checked.errors);
      return;
    }
    setBusy(true);
    try {
      const created = await props.onCreate(checked.request);
      setDraft(empty());
      setErrors({});
      props.onCreated(created);
    } catch (e) {
      const placed = placeError(e, INBOUND_FIELDS);
      setErrors(placed.fields);
      setFormError(placed.form);
    } finally {
      setBusy(false);
    }
  };

  const k = props.kind;
  return (
    <form
      className="adm-form"
      data-testid={`${k}-create`}
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <h3>{t(`channels.${k}.createTitle`)}</h3>
      <p className="adm-hint">{t(`channels.${k}.createHint`)}</p>
      <Field name="name" label={t('channels.accountName')} error={errors.name}>
        {(c) => <input {...c} value={draft.name} onChange={(e) => edit('name', e.target.value)} data-testid={`${k}-name`} />}
      </Field>
      {k === 'api' && (
        <Field name="callback_url" label={t('channels.api.callbackUrl')} error={errors.callback_url} hint={t('channels.api.callbackHint')}>
          {(c) => <input {...c} type="url" value={draft.callback_url} placeholder="https://" onChange={(e) => edit('callback_url', e.target.value)} data-testid="api-callback" />}
        </Field>
      )}
      {formError && (
        <p className="adm-form-error" role="alert" data-testid={`${k}-create-error`}>
          {formError}
        </p>
      )}
      <div className="adm-actions">
        <button type="submit" className="adm-btn adm-primary" disabled={busy} data-testid={`${k}-create-submit`}>
          {t(`channels.${k}.create`)}
        </button>
      </div>
    </form>
  );
}

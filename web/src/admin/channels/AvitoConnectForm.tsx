// Connecting an Avito account: name, Avito's profile number, the client id and secret from
// avito.ru/professionals/api. The server checks them against Avito before storing anything; its
// refusal is shown at the field it concerns.
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Field, type FieldControl } from '../forms/Field';
import type { FieldErrors } from '../forms/fieldErrors';
import type { ConnectAvitoRequest, ConnectedAvito } from './api';
import { type AvitoDraft, type AvitoField, checkAvitoDraft, emptyAvitoDraft, placeConnectError } from './avitoConnect';

export function AvitoConnectForm(props: { onConnect: (req: ConnectAvitoRequest) => Promise<ConnectedAvito>; onConnected: (c: ConnectedAvito) => void }) {
  const { t } = useTranslation();
  const [draft, setDraft] = useState<AvitoDraft>(emptyAvitoDraft);
  const [errors, setErrors] = useState<FieldErrors<AvitoField>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const edit = (field: AvitoField, value: string) => {
    setDraft((d) => ({ ...d, [field]: value }));
    setErrors((e) => ({ ...e, [field]: undefined }));
  };

  const submit = async () => {
    setFormError(null);
    const checked = checkAvitoDraft(draft, t);
    if ('errors' in checked) {
      setErrors(checked.errors);
      return;
    }
    setBusy(true);
    try {
      const connected = await props.onConnect(checked.request);
      setDraft(emptyAvitoDraft());
      setErrors({});
      props.onConnected(connected);
    } catch (e) {
      const placed = placeConnectError(e);
      setErrors(placed.fields);
      setFormError(placed.form);
    } finally {
      setBusy(false);
    }
  };

  const input = (field: AvitoField, type = 'text') => (control: FieldControl) => (
    <input {...control} type={type} value={draft[field]} onChange={(e) => edit(field, e.target.value)} autoComplete="off" data-testid={`avito-${field}`} />
  );

  return (
    <form
      className="adm-form"
      data-testid="avito-connect"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <h3>{t('channels.avito.connectTitle')}</h3>
      <p className="adm-hint">{t('channels.avito.connectHint')}</p>
      <Field name="name" label={t('channels.avito.name')} error={errors.name} hint={t('channels.avito.nameHint')}>
        {input('name')}
      </Field>
      <Field name="user_id" label={t('channels.avito.userId')} error={errors.user_id} hint={t('channels.avito.userIdHint')}>
        {input('user_id')}
      </Field>
      <Field name="client_id" label={t('channels.avito.clientId')} error={errors.client_id}>
        {input('client_id')}
      </Field>
      <Field name="client_secret" label={t('channels.avito.clientSecret')} error={errors.client_secret} hint={t('channels.avito.secretHint')}>
        {input('client_secret', 'password')}
      </Field>
      {formError && (
        <p className="adm-form-error" role="alert" data-testid="avito-connect-error">
          {formError}
        </p>
      )}
      <div className="adm-actions">
        <button type="submit" className="adm-btn adm-primary" disabled={busy} data-testid="avito-connect-submit">
          {busy ? t('channels.avito.connecting') : t('channels.avito.connect')}
        </button>
      </div>
    </form>
  );
}

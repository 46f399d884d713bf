// «Языковая модель»: the LLM the bot asks when its own classifier and the knowledge base are not
// enough — on or off, the API's address (OpenRouter by default), the models, timeouts, and the key,
// which is sealed on the server and never shown again. «Проверить соединение» sends one short
// request with the form as it is, unsaved.
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, ApiError, unwrap } from '../../shared/api/client';
import { Field } from '../forms/Field';
import { serverMessage } from '../forms/fieldErrors';
import { formatDateTime } from '../workflows/format';
import { formOf, keyState, LLM_NUMBERS, LLM_TEXTS, requestOf, type LlmCheckResult, type LlmForm, type LlmSettingsView } from './logic/llm';

export function LlmPanel() {
  const { t } = useTranslation();
  const [view, setView] = useState<LlmSettingsView | null>(null);
  const [form, setForm] = useState<LlmForm | null>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [notice, setNotice] = useState<{ text: string; failed: boolean } | null>(null);
  const [check, setCheck] = useState<LlmCheckResult | null>(null);
  const [busy, setBusy] = useState<'save' | 'check' | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);

  useEffect(() => {
    unwrap(api.GET('/api/v1/bot/llm'))
      .then((v) => {
        setView(v);
        setForm(formOf(v.settings));
      })
      .catch((e) => setLoadError(serverMessage(e)));
  }, []);

  if (loadError) return <p className="adm-form-error" data-testid="llm-load-error">{loadError}</p>;
  if (!form) return <p className="adm-loading">{t('adminForms.loading')}</p>;

  const edit = (change: (f: LlmForm) => LlmForm) => {
    setForm((f) => (f ? change(f) : f));
    setNotice(null);
  };
  /** The request, or false after showing why there is none. */
  const request = () => {
    const r = requestOf(form);
    if ('problems' in r) {
      setErrors(Object.fromEntries(Object.entries(r.problems).map(([k, v]) => [k, t(`bot.llm.${v}`)])));
      return false;
    }
    setErrors({});
    return r.request;
  };
  const refused = (e: unknown) => {
    if (e instanceof ApiError && e.field) setErrors({ [e.field]: serverMessage(e) });
    else setNotice({ text: serverMessage(e), failed: true });
  };

  const save = async () => {
    const body = request();
    if (!body) return;
    setBusy('save');
    try {
      const v = await unwrap(api.PUT('/api/v1/bot/llm', { body }));
      setView(v);
      setForm(formOf(v.settings));
      setNotice({ text: t('bot.llm.saved'), failed: false });
    } catch (e) {
      refused(e);
    } finally {
      setBusy(null);
    }
  };
  const runCheck = async () => {
    const body = request();
    if (!body) return;
    setBusy('check');
    setCheck(null);
    try {
      setCheck(await unwrap(api.POST('/api/v1/bot/llm/check', { body })));
    } catch (e) {
      refused(e);
    } finally {
      setBusy(null);
    }
  };

  const key = keyState(view, form.key);
  return (
    <section className="adm-card bot-llm" data-testid="llm-panel">
      <h2>{t('bot.llm.title')}</h2>
      <p className="adm-hint">{t('bot.llm.intro')}</p>
      <p className="adm-meta" data-testid="llm-source">
        {view?.source === 'console' && view.updated_at ? t('bot.llm.sourceConsole', { at: formatDateTime(view.updated_at) }) : t('bot.llm.sourceFile')}
      </p>
      <label className="bot-llm-check">
        <input type="checkbox" checked={form.enabled} onChange={(e) => edit((f) => ({ ...f, enabled: e.target.checked }))} data-testid="llm-enabled" /> {t('bot.llm.enabled')}
      </label>
      {LLM_TEXTS.map((name) => (
        <Field key={name} name={`settings.${name}`} label={t(`bot.llm.fields.${name}`)} error={errors[`settings.${name}`]} hint={name === 'base_url' ? t('bot.llm.baseUrlHint') : undefined}>
          {(c) => <input {...c} value={form.texts[name]} onChange={(e) => edit((f) => ({ ...f, texts: { ...f.texts, [name]: e.target.value } }))} data-testid={`llm-${name}`} spellCheck={false} />}
        </Field>
      ))}
      <div className="bot-llm-numbers">
        {LLM_NUMBERS.map((name) => (
          <Field key={name} name={`settings.${name}`} label={t(`bot.llm.fields.${name}`)} error={errors[`settings.${name}`]}>
            {(c) => <input {...c} inputMode="decimal" value={form.numbers[name]} onChange={(e) => edit((f) => ({ ...f, numbers: { ...f.numbers, [name]: e.target.value } }))} data-testid={`llm-${name}`} />}
          </Field>
        ))}
      </div>
      <label className="bot-llm-check">
        <input type="checkbox" checked={form.require_parameters} onChange={(e) => edit((f) => ({ ...f, require_parameters: e.target.checked }))} data-testid="llm-require_parameters" />{' '}
        {t('bot.llm.fields.require_parameters')}
      </label>
      <Field name="api_key" label={t('bot.llm.key')} error={errors.api_key} hint={t(`bot.llm.keyState.${key}`)}>
        {(c) => (
          <input
            {...c}
            type="password"
            autoComplete="off"
            value={form.key.kind === 'set' ? form.key.key : ''}
            placeholder={view?.has_api_key ? t('bot.llm.keyPlaceholderSet') : t('bot.llm.keyPlaceholderNone')}
            onChange={(e) => edit((f) => ({ ...f, key: e.target.value ? { kind: 'set', key: e.target.value } : { kind: 'keep' } }))}
            data-testid="llm-api_key"
          />
        )}
      </Field>
      {view?.has_api_key && form.key.kind !== 'clear' && (
        <button type="button" className="text-btn" onClick={() => edit((f) => ({ ...f, key: { kind: 'clear' } }))} data-testid="llm-clear-key">
          {t('bot.llm.clearKey')}
        </button>
      )}
      <div className="adm-actions">
        <button type="button" className="adm-btn adm-primary" disabled={busy !== null} onClick={() => void save()} data-testid="llm-save">
          {busy === 'save' ? t('bot.llm.saving') : t('bot.llm.save')}
        </button>
        <button type="button" className="adm-btn" disabled={busy !== null} onClick={() => void runCheck()} data-testid="llm-check">
          {busy === 'check' ? t('bot.llm.checking') : t('bot.llm.check')}
        </button>
        {notice && (
          <span className={notice.failed ? 'adm-form-error' : 'adm-notice'} role="status" data-testid="llm-notice">
            {notice.text}
          </span>
        )}
      </div>
      {check && (
        <p className={check.ok ? 'adm-notice' : 'adm-form-error'} role="status" data-testid="llm-check-result" data-ok={String(check.ok)}>
          {check.ok ? t('bot.llm.checkOk', { model: check.model ?? '', ms: check.latency_ms ?? 0 }) : t('bot.llm.checkFailed', { kind: t(`bot.llm.errorKinds.${check.error_kind}`, { defaultValue: check.error_kind ?? '' }), error: check.error ?? '' })}
        </p>
      )}
    </section>
  );
}

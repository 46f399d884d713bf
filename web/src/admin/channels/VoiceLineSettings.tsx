// A voice line's settings on its card: what it says (greeting, re-prompt, goodbye, …), its
// language and timing, edited and saved; the transfer target shown without its credentials, kept
// on save unless removed (replacing it means sending it whole, credentials included, through the
// API — see the README's «Phone calls»).
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Account } from '../../shared/api/types';
import { Field } from '../forms/Field';
import { serverMessage } from '../forms/fieldErrors';
import { setLineSettings } from './api';
import { LINE_NUMBERS, LINE_TEXTS, lineFormOf, lineSettingsOf, transferSummary, type LineForm } from './voiceLine';

export function VoiceLineSettings(props: { account: Account; onChanged: (a: Account) => void }) {
  const { t } = useTranslation();
  const stored = (props.account.settings ?? null) as Record<string, unknown> | null;
  const [form, setForm] = useState<LineForm | null>(() => (stored && !('error' in stored && Object.keys(stored).length === 1) ? lineFormOf(stored) : null));
  const [problems, setProblems] = useState<string[]>([]);
  const [notice, setNotice] = useState<{ text: string; failed: boolean } | null>(null);
  const [busy, setBusy] = useState(false);

  if (!stored) return null;
  if (!form) return <p className="adm-form-error">{String(stored.error ?? '')}</p>;
  const transfer = transferSummary(stored.transfer);
  const edit = (change: (f: LineForm) => LineForm) => {
    setForm((f) => (f ? change(f) : f));
    setNotice(null);
  };
  const save = async () => {
    const r = lineSettingsOf(stored, form);
    if ('problems' in r) {
      setProblems(r.problems);
      return;
    }
    setProblems([]);
    setBusy(true);
    try {
      const a = await setLineSettings(props.account.id, r.settings);
      props.onChanged(a);
      setForm(lineFormOf((a.settings ?? {}) as Record<string, unknown>));
      setNotice({ text: t('channels.voice.saved'), failed: false });
    } catch (e) {
      setNotice({ text: serverMessage(e), failed: true });
    } finally {
      setBusy(false);
    }
  };

  return (
    <details className="adm-line-settings" data-testid="voice-settings">
      <summary>{t('channels.voice.settings')}</summary>
      <Field name="language" label={t('channels.voice.fields.language')}>
        {(c) => (
          <select {...c} value={form.language} onChange={(e) => edit((f) => ({ ...f, language: e.target.value }))} data-testid="voice-language">
            {['ru', 'en', 'auto'].map((l) => (
              <option key={l} value={l}>
                {t(`channels.voice.languages.${l}`)}
              </option>
            ))}
          </select>
        )}
      </Field>
      {LINE_TEXTS.map((k) => (
        <Field key={k} name={k} label={t(`channels.voice.fields.${k}`)}>
          {(c) => <textarea {...c} rows={2} value={form.texts[k]} onChange={(e) => edit((f) => ({ ...f, texts: { ...f.texts, [k]: e.target.value } }))} data-testid={`voice-${k}`} />}
        </Field>
      ))}
      {LINE_NUMBERS.map((k) => (
        <Field key={k} name={k} label={t(`channels.voice.fields.${k}`)} error={problems.includes(k) ? t('channels.voice.wholeNumber') : undefined}>
          {(c) => <input {...c} inputMode="numeric" value={form.numbers[k]} onChange={(e) => edit((f) => ({ ...f, numbers: { ...f.numbers, [k]: e.target.value } }))} data-testid={`voice-${k}`} />}
        </Field>
      ))}
      <div className="adm-field" data-testid="voice-transfer" data-kind={transfer.kind ?? ''}>
        <label>{t('channels.voice.transfer')}</label>
        {transfer.error ? (
          <p className="adm-form-error">{transfer.error}</p>
        ) : transfer.kind ? (
          <>
            <p className="adm-meta">
              {transfer.kind}: {transfer.fields.map(([k, v]) => `${k} ${v}`).join(' · ')}
            </p>
            <label className="bot-llm-check">
              <input type="checkbox" checked={form.removeTransfer} onChange={(e) => edit((f) => ({ ...f, removeTransfer: e.target.checked }))} data-testid="voice-remove-transfer" />{' '}
              {t('channels.voice.removeTransfer')}
            </label>
          </>
        ) : (
          <p className="adm-hint">{t('channels.voice.noTransfer')}</p>
        )}
        <p className="adm-hint">{t('channels.voice.transferHint')}</p>
      </div>
      <div className="adm-actions">
        <button type="button" className="adm-btn adm-primary" disabled={busy} onClick={() => void save()} data-testid="voice-save">
          {t('channels.voice.save')}
        </button>
        {notice && (
          <span className={notice.failed ? 'adm-form-error' : 'adm-notice'} role="status" data-testid="voice-notice">
            {notice.text}
          </span>
        )}
      </div>
    </details>
  );
}

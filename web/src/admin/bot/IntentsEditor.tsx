// The intents, one card each (closed to a summary line, opened to edit), and the out-of-scope
// examples. A card with a problem is marked and opened; each problem shows under its input.
import { useTranslation } from 'react-i18next';
import { ConfirmButton } from '../forms/ConfirmButton';
import { Field } from '../forms/Field';
import { useKbCategories } from '../knowledge/categories';
import { intentLabel } from '../../shared/i18n/labels';
import {
  addIntent,
  ANSWER_KINDS,
  answerOf,
  effectiveThreshold,
  intentsOf,
  isRequestType,
  num,
  removeIntent,
  REQUEST_TYPES,
  setAnswerField,
  setAnswerKind,
  setField,
  setIntentField,
  SLOTS,
  str,
  strList,
  toggleSlot,
  type AnswerKind,
  type BotDocument,
  type IntentDocument,
} from './logic/document';
import { intentField, parseField, problemText, problemsOfIntent } from './logic/problems';
import { threshold } from './logic/report';
import { LinesField, NumberField, TextInput, useFieldError } from './fields';
import { useBot } from './store';

/** The intent fields that have an input of their own; a problem elsewhere shows on the card. */
const SHOWN = new Set(['name', 'label', 'request_type', 'threshold', 'examples', 'triggers', 'clarify', 'slots', 'answer.kind', 'answer.text', 'answer.category', 'answer.message']);

export function IntentsEditor(p: { doc: BotDocument }) {
  const { t } = useTranslation();
  const edit = useBot((s) => s.edit);
  const toggle = useBot((s) => s.toggleIntent);
  const intents = intentsOf(p.doc);
  const listError = useFieldError('intents');
  return (
    <div className="adm-block bot-block" data-testid="bot-intents">
      <div className="bot-block-head">
        <h2>{t('bot.intents.title', { count: intents.length })}</h2>
        <button
          type="button"
          className="adm-btn"
          data-testid="bot-add-intent"
          onClick={() => {
            let index = -1;
            edit((d) => {
              const r = addIntent(d);
              index = r.index;
              return r.doc;
            });
            if (index >= 0) {
              toggle(index, true);
              requestAnimationFrame(() => document.querySelector(`[data-testid="bot-intent"][data-index="${index}"] input`)?.scrollIntoView({ block: 'center' }));
            }
          }}
        >
          {t('bot.intents.add')}
        </button>
      </div>
      <p className="adm-hint">{t('bot.intents.hint')}</p>
      {listError && (
        <p className="adm-field-error" data-testid="field-error" data-field="intents">
          {listError}
        </p>
      )}
      <div className="bot-intents">
        {intents.map((intent, i) => (
          <IntentCard key={i} index={i} intent={intent} doc={p.doc} />
        ))}
      </div>
      <h3>{t('bot.oos.title')}</h3>
      <LinesField
        path="out_of_scope_examples"
        label={t('bot.oos.label')}
        value={strList(p.doc.out_of_scope_examples)}
        onChange={(v) => edit((d) => setField(d, 'out_of_scope_examples', v))}
        testId="bot-oos"
        hint={(n) => t('bot.oos.hint', { count: n })}
      />
    </div>
  );
}

function IntentCard(p: { index: number; intent: IntentDocument; doc: BotDocument }) {
  const { t, i18n } = useTranslation();
  const i = p.index;
  const edit = useBot((s) => s.edit);
  const remove = useBot((s) => s.removeIntent);
  const open = useBot((s) => s.open.includes(i));
  const toggle = useBot((s) => s.toggleIntent);
  const allProblems = useBot((s) => s.problems);
  const problems = problemsOfIntent(allProblems, i);
  const elsewhere = problems.filter((x) => !SHOWN.has(parseField(x.field).rest));
  const name = str(p.intent.name);
  const label = str(p.intent.label);
  const type = str(p.intent.request_type);
  const examples = strList(p.intent.examples);
  const own = num(p.intent.threshold);
  const set = (key: string, value: unknown) => edit((d) => setIntentField(d, i, key, value));
  const path = (rest: string) => intentField(i, rest);
  return (
    <article className={'bot-intent' + (problems.length ? ' invalid' : '') + (open ? ' open' : '')} data-testid="bot-intent" data-index={i} data-name={name} data-invalid={problems.length > 0}>
      <button type="button" className="bot-intent-head" aria-expanded={open} onClick={() => toggle(i)} data-testid="bot-intent-toggle">
        <span className="bot-intent-name">{name || t('bot.intents.unnamed')}</span>
        <span className="bot-intent-label">{label || intentLabel(t, i18n.exists.bind(i18n), name)}</span>
        <span className="adm-badge">{isRequestType(type) ? t(`bot.type.${type}`) : type || '—'}</span>
        <span className="adm-meta">
          {t('bot.intents.examplesCount', { count: examples.length })} · {t('bot.intents.thresholdShort', { value: threshold(effectiveThreshold(p.doc, p.intent)) })}
          {own !== null && ` ${t('bot.intents.own')}`}
        </span>
        {problems.length > 0 && (
          <span className="adm-badge bad" data-testid="bot-intent-problems">
            {t('bot.intents.problems', { count: problems.length })}
          </span>
        )}
      </button>
      {open && (
        <div className="bot-intent-body">
          {elsewhere.length > 0 && (
            <ul className="bot-card-problems">
              {elsewhere.map((x, k) => (
                <li key={k} className="adm-field-error" data-testid="field-error" data-field={x.field}>
                  {problemText(t, x.message)}
                </li>
              ))}
            </ul>
          )}
          <div className="bot-grid">
            <TextInput path={path('name')} label={t('bot.intent.name')} value={name} onChange={(v) => set('name', v)} testId="bot-intent-name" hint={t('bot.intent.nameHint')} />
            <TextInput path={path('label')} label={t('bot.intent.label')} value={label} onChange={(v) => set('label', v)} testId="bot-intent-label" hint={t('bot.intent.labelHint')} />
            <RequestTypeField path={path('request_type')} value={type} onChange={(v) => set('request_type', v)} />
            <NumberField
              path={path('threshold')}
              label={t('bot.intent.threshold')}
              value={own}
              kind="unit"
              onChange={(v) => set('threshold', v)}
              testId="bot-intent-threshold"
              placeholder={t('bot.intent.thresholdDefault', { value: threshold(effectiveThreshold(p.doc, { ...p.intent, threshold: undefined })) })}
              hint={t('bot.intent.thresholdHint')}
            />
          </div>
          <div className="bot-grid two">
            <LinesField
              path={path('examples')}
              label={t('bot.intent.examples')}
              value={examples}
              onChange={(v) => set('examples', v)}
              testId="bot-intent-examples"
              rows={8}
              hint={(n) => t('bot.intent.examplesHint', { count: n })}
            />
            <LinesField
              path={path('triggers')}
              label={t('bot.intent.triggers')}
              value={strList(p.intent.triggers)}
              onChange={(v) => set('triggers', v.length || 'triggers' in p.intent ? v : undefined)}
              testId="bot-intent-triggers"
              rows={8}
              hint={(n) => t('bot.intent.triggersHint', { count: n })}
            />
          </div>
          <TextInput
            path={path('clarify')}
            label={t('bot.intent.clarify')}
            value={str(p.intent.clarify)}
            onChange={(v) => set('clarify', v.trim() ? v : undefined)}
            testId="bot-intent-clarify"
            hint={t('bot.intent.clarifyHint')}
          />
          <SlotsField index={i} intent={p.intent} />
          <AnswerFields index={i} intent={p.intent} />
          <div className="adm-actions">
            <ConfirmButton
              label={t('bot.intent.delete')}
              question={t('bot.intent.deleteConfirm', { name: name || t('bot.intents.unnamed') })}
              testId="bot-intent-delete"
              onConfirm={() => remove(i, (d) => removeIntent(d, i))}
            />
          </div>
        </div>
      )}
    </article>
  );
}

function RequestTypeField(p: { path: string; value: string; onChange(v: string): void }) {
  const { t } = useTranslation();
  const error = useFieldError(p.path);
  return (
    <Field name={p.path} label={t('bot.intent.requestType')} error={error}>
      {(c) => (
        <select {...c} value={p.value} onChange={(e) => p.onChange(e.target.value)} data-testid="bot-intent-type">
          {!isRequestType(p.value) && <option value={p.value}>{p.value || '—'}</option>}
          {REQUEST_TYPES.map((k) => (
            <option key={k} value={k}>
              {t(`bot.type.${k}`)}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

function SlotsField(p: { index: number; intent: IntentDocument }) {
  const { t } = useTranslation();
  const edit = useBot((s) => s.edit);
  const path = intentField(p.index, 'slots');
  const error = useFieldError(path);
  const slots = strList(p.intent.slots);
  const unknown = slots.filter((s) => !(SLOTS as readonly string[]).includes(s));
  return (
    <fieldset className={'bot-slots adm-field' + (error ? ' invalid' : '')} data-testid="field" data-field={path}>
      <legend>{t('bot.intent.slots')}</legend>
      <div className="bot-checks">
        {SLOTS.map((slot) => (
          <label key={slot} className="bot-check">
            <input type="checkbox" checked={slots.includes(slot)} onChange={(e) => edit((d) => toggleSlot(d, p.index, slot, e.target.checked))} data-testid="bot-intent-slot" data-slot={slot} />
            {t(`slot.${slot}`)}
          </label>
        ))}
        {unknown.map((slot) => (
          <label key={slot} className="bot-check">
            <input type="checkbox" checked onChange={() => edit((d) => toggleSlot(d, p.index, slot, false))} />
            {slot}
          </label>
        ))}
      </div>
      <p className="adm-hint">{t('bot.intent.slotsHint')}</p>
      {error && (
        <p className="adm-field-error" role="alert" data-testid="field-error" data-field={path}>
          {error}
        </p>
      )}
    </fieldset>
  );
}

function AnswerFields(p: { index: number; intent: IntentDocument }) {
  const { t } = useTranslation();
  const edit = useBot((s) => s.edit);
  const categories = useKbCategories((s) => s.list);
  const a = answerOf(p.intent);
  const path = (rest: string) => intentField(p.index, rest);
  const kindError = useFieldError(path('answer'));
  const known = (ANSWER_KINDS as readonly string[]).includes(a.kind);
  return (
    <div className="bot-answer" data-testid="bot-intent-answer">
      <Field name={path('answer')} label={t('bot.intent.answer')} error={kindError}>
        {(c) => (
          <select {...c} value={a.kind} onChange={(e) => edit((d) => setAnswerKind(d, p.index, e.target.value as AnswerKind))} data-testid="bot-intent-answer-kind">
            {!known && <option value={a.kind}>{a.kind || '—'}</option>}
            {ANSWER_KINDS.map((k) => (
              <option key={k} value={k}>
                {t(`bot.answer.${k}`)}
              </option>
            ))}
          </select>
        )}
      </Field>
      {a.kind === 'text' && (
        <TextInput
          path={path('answer.text')}
          label={t('bot.answer.textLabel')}
          value={a.text}
          onChange={(v) => edit((d) => setAnswerField(d, p.index, 'text', v))}
          testId="bot-intent-answer-text"
          multiline
          hint={t('bot.answer.textHint')}
        />
      )}
      {a.kind === 'knowledge' && (
        <CategoryField path={path('answer.category')} value={a.category} categories={categories} onChange={(v) => edit((d) => setAnswerField(d, p.index, 'category', v))} />
      )}
      {a.kind === 'handoff' && (
        <TextInput
          path={path('answer.message')}
          label={t('bot.answer.messageLabel')}
          value={a.message}
          onChange={(v) => edit((d) => setAnswerField(d, p.index, 'message', v))}
          testId="bot-intent-answer-message"
          multiline
          placeholder={t('bot.answer.messagePlaceholder')}
          hint={t('bot.answer.textHint')}
        />
      )}
    </div>
  );
}

function CategoryField(p: { path: string; value: string; categories: readonly { key: string; title: string }[]; onChange(v: string): void }) {
  const { t } = useTranslation();
  const error = useFieldError(p.path);
  const listed = p.categories.some((c) => c.key === p.value);
  return (
    <Field name={p.path} label={t('bot.answer.category')} error={error} hint={t('bot.answer.categoryHint')}>
      {(c) => (
        <select {...c} value={p.value} onChange={(e) => p.onChange(e.target.value)} data-testid="bot-intent-answer-category">
          <option value="">{t('bot.answer.anyCategory')}</option>
          {p.value && !listed && <option value={p.value}>{p.value}</option>}
          {p.categories.map((c) => (
            <option key={c.key} value={c.key}>
              {c.title}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

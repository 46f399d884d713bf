// The settings panel of the selected node: a real form per node type (pickers from the bot's
// intents, the knowledge base's categories, the integrations, sliders for thresholds), the names a
// template may use beside every template field, and the node's problems. Each change is written
// through forms.ts into the node's `data` at once (one undo step per field while typing).
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Catalogue } from './logic/catalogue';
import type { NodeType, WfDocument, WfNode } from './logic/document';
import { dataOf, formOf, type Forms, type NodeForm, type Row } from './logic/forms';
import { OPENROUTER_MODELS } from './logic/models';
import { scopeOf, unknownNames, type ScopeName } from './logic/scope';
import type { Integration, KbCategory } from './api';

interface Props {
  doc: WfDocument;
  node: WfNode;
  catalogue: Catalogue;
  integrations: Integration[];
  categories: KbCategory[];
  problems: string[];
  readOnly: boolean;
  onChange(data: Record<string, unknown>, field: string): void;
  onRename(to: string): boolean;
  onDelete(): void;
  onDone(): void;
}

export function NodeSettings(p: Props) {
  const { t } = useTranslation();
  const type = p.node.type as NodeType;
  const form = useMemo(() => formOf(type, p.node.data, p.catalogue.slot_kinds), [type, p.node.data, p.catalogue.slot_kinds]);
  const scope = useMemo(() => scopeOf(p.doc, p.node.id, p.catalogue), [p.doc, p.node.id, p.catalogue]);
  const set = <K extends string>(field: K, value: unknown) => {
    const next = { ...form, [field]: value } as NodeForm;
    p.onChange(dataOf(type, next as NodeForm<typeof type>, p.node.data), field);
  };
  const f = form as NodeForm & Record<string, unknown>;
  const known = !!p.catalogue.node_types.find((x) => x.type === type);

  return (
    <div className="wf-settings" data-testid="wf-settings" data-node-id={p.node.id}>
      <div className="wf-settings-head">
        <h2>{t(`wf.types.${type}.title`, { defaultValue: type })}</h2>
        <button type="button" className="text-btn" onClick={p.onDone}>
          {t('wf.settings.close')}
        </button>
      </div>
      <p className="wf-hint">{t(`wf.types.${type}.what`, { defaultValue: '' })}</p>
      <fieldset disabled={p.readOnly} className="wf-fields">
        <IdField id={p.node.id} onRename={p.onRename} />
        <Field label={t('wf.settings.label')}>
          <input value={f.label} onChange={(e) => set('label', e.target.value)} data-testid="wf-field-label" placeholder={t(`wf.types.${type}.title`, { defaultValue: type })} />
        </Field>
        {!known && <p className="wf-problem">{t('wf.settings.unknownType', { type })}</p>}
        {type === 'intent' && <IntentFields form={f as unknown as Forms['intent']} catalogue={p.catalogue} set={set} />}
        {type === 'confidence' && (
          <Slider label={t('wf.settings.threshold')} value={(f as unknown as Forms['confidence']).threshold} min={0} max={1} step={0.05} onChange={(v) => set('threshold', v)} testId="wf-field-threshold" />
        )}
        {type === 'context' && (
          <Rows label={t('wf.settings.set')} rows={(f as unknown as Forms['context']).set} keyLabel={t('wf.settings.variable')} valueLabel={t('wf.settings.template')} onChange={(r) => set('set', r)} scope={scope} />
        )}
        {type === 'search' && <SearchFields form={f as unknown as Forms['search']} categories={p.categories} scope={scope} set={set} />}
        {type === 'ai_response' && <AiFields form={f as unknown as Forms['ai_response']} scope={scope} set={set} />}
        {type === 'condition' && (
          <Template label={t('wf.settings.expression')} value={(f as unknown as Forms['condition']).expression} onChange={(v) => set('expression', v)} scope={scope} hint={t('wf.settings.expressionHint')} testId="wf-field-expression" braces={false} />
        )}
        {type === 'action' && <ActionFields form={f as unknown as Forms['action']} catalogue={p.catalogue} integrations={p.integrations} scope={scope} set={set} />}
        {type === 'ask' && <AskFields form={f as unknown as Forms['ask']} catalogue={p.catalogue} scope={scope} set={set} />}
        {type === 'message' && <Template label={t('wf.settings.text')} value={(f as unknown as Forms['message']).text} onChange={(v) => set('text', v)} scope={scope} multiline testId="wf-field-text" />}
        {type === 'handoff' && <HandoffFields form={f as unknown as Forms['handoff']} catalogue={p.catalogue} scope={scope} set={set} />}
        {type === 'end' && <Template label={t('wf.settings.endMessage')} value={(f as unknown as Forms['end']).message} onChange={(v) => set('message', v)} scope={scope} multiline testId="wf-field-message" />}
      </fieldset>
      {p.problems.length > 0 && (
        <ul className="wf-settings-problems" data-testid="wf-settings-problems">
          {p.problems.map((m) => (
            <li key={m}>{m}</li>
          ))}
        </ul>
      )}
      {!p.readOnly && (
        <button type="button" className="wf-danger" onClick={p.onDelete} data-testid="wf-delete-node">
          {t('wf.settings.delete')}
        </button>
      )}
    </div>
  );
}

function Field(p: { label: string; children: React.ReactNode; hint?: string }) {
  return (
    <label className="wf-field">
      <span className="wf-field-label">{p.label}</span>
      {p.children}
      {p.hint && <span className="wf-hint">{p.hint}</span>}
    </label>
  );
}

function IdField(p: { id: string; onRename(to: string): boolean }) {
  const { t } = useTranslation();
  const [value, setValue] = useState(p.id);
  const [bad, setBad] = useState(false);
  return (
    <Field label={t('wf.settings.id')} hint={bad ? t('wf.settings.idTaken') : undefined}>
      <input
        value={value}
        onChange={(e) => {
          setValue(e.target.value);
          setBad(false);
        }}
        onBlur={() => {
          if (value.trim() === p.id) return;
          if (!p.onRename(value)) {
            setBad(true);
            setValue(p.id);
          }
        }}
        data-testid="wf-field-id"
      />
    </Field>
  );
}

function Slider(p: { label: string; value: number; min: number; max: number; step: number; onChange(v: number): void; testId?: string }) {
  return (
    <Field label={p.label}>
      <div className="wf-slider">
        <input type="range" min={p.min} max={p.max} step={p.step} value={p.value} onChange={(e) => p.onChange(Number(e.target.value))} data-testid={p.testId} />
        <input type="number" min={p.min} max={p.max} step={p.step} value={p.value} onChange={(e) => p.onChange(Number(e.target.value))} className="wf-slider-num" />
      </div>
    </Field>
  );
}

function NumberField(p: { label: string; value: number; min?: number; max?: number; onChange(v: number): void; testId?: string }) {
  return (
    <Field label={p.label}>
      <input type="number" value={p.value} min={p.min} max={p.max} onChange={(e) => p.onChange(Math.round(Number(e.target.value)))} data-testid={p.testId} />
    </Field>
  );
}

/** A template field with the names in scope: a click inserts `{name}`; unknown names are flagged. */
function Template(p: { label: string; value: string; onChange(v: string): void; scope: ScopeName[]; multiline?: boolean; hint?: string; testId?: string; braces?: boolean }) {
  const { t } = useTranslation();
  const [open, setOpen] = useState(false);
  const unknown = p.braces === false ? [] : unknownNames(p.value, p.scope);
  const insert = (name: string) => p.onChange(`${p.value}${p.braces === false ? name : `{${name}}`}`);
  return (
    <div className="wf-field">
      <span className="wf-field-label">
        {p.label}
        <button type="button" className="wf-vars-toggle" onClick={() => setOpen(!open)} aria-expanded={open} data-testid="wf-vars-toggle">
          {t('wf.settings.variables')}
        </button>
      </span>
      {p.multiline ? (
        <textarea rows={4} value={p.value} onChange={(e) => p.onChange(e.target.value)} data-testid={p.testId} />
      ) : (
        <input value={p.value} onChange={(e) => p.onChange(e.target.value)} data-testid={p.testId} />
      )}
      {p.hint && <span className="wf-hint">{p.hint}</span>}
      {unknown.length > 0 && <span className="wf-problem">{t('wf.settings.unknownNames', { names: unknown.join(', ') })}</span>}
      {open && (
        <div className="wf-vars" data-testid="wf-vars">
          {p.scope.map((s) => (
            <button type="button" key={s.name} className={`wf-var wf-var--${s.from === 'built_in' || s.from === 'slot' || s.from === 'customer' ? s.from : 'node'}`} onClick={() => insert(s.name)} title={s.from}>
              {s.name}
            </button>
          ))}
        </div>
      )}
    </div>
  );
}

function Rows(p: { label: string; rows: Row[]; keyLabel: string; valueLabel: string; onChange(r: Row[]): void; scope?: ScopeName[]; testId?: string }) {
  const { t } = useTranslation();
  const rows = p.rows;
  const update = (i: number, r: Partial<Row>) => p.onChange(rows.map((x, j) => (j === i ? { ...x, ...r } : x)));
  return (
    <div className="wf-field" data-testid={p.testId}>
      <span className="wf-field-label">{p.label}</span>
      {rows.map((r, i) => (
        <div className="wf-row" key={i}>
          <input value={r.key} placeholder={p.keyLabel} onChange={(e) => update(i, { key: e.target.value })} aria-label={p.keyLabel} />
          <input value={r.value} placeholder={p.valueLabel} onChange={(e) => update(i, { value: e.target.value })} aria-label={p.valueLabel} />
          <button type="button" className="text-btn" onClick={() => p.onChange(rows.filter((_, j) => j !== i))} aria-label={t('wf.settings.removeRow')}>
            ×
          </button>
        </div>
      ))}
      <button type="button" className="text-btn" onClick={() => p.onChange([...rows, { key: '', value: '' }])}>
        {t('wf.settings.addRow')}
      </button>
    </div>
  );
}

type Setter = (field: string, value: unknown) => void;

function IntentFields(p: { form: Forms['intent']; catalogue: Catalogue; set: Setter }) {
  const { t } = useTranslation();
  const chosen = new Set(p.form.intents);
  const toggle = (name: string) => p.set('intents', chosen.has(name) ? p.form.intents.filter((i) => i !== name) : [...p.form.intents, name]);
  return (
    <div className="wf-field" data-testid="wf-field-intents">
      <span className="wf-field-label">{t('wf.settings.intents')}</span>
      <span className="wf-hint">{t('wf.settings.intentsHint')}</span>
      {p.catalogue.intents.map((i) => (
        <label key={i.name} className="wf-check">
          <input type="checkbox" checked={chosen.has(i.name)} onChange={() => toggle(i.name)} data-intent={i.name} />
          <span>{i.label || i.name}</span> <code>{i.name}</code>
        </label>
      ))}
      {p.form.intents
        .filter((i) => !p.catalogue.intents.some((c) => c.name === i))
        .map((i) => (
          <label key={i} className="wf-check wf-problem">
            <input type="checkbox" checked onChange={() => toggle(i)} />
            <code>{i}</code> {t('wf.settings.unknownIntent')}
          </label>
        ))}
    </div>
  );
}

function SearchFields(p: { form: Forms['search']; categories: KbCategory[]; scope: ScopeName[]; set: Setter }) {
  const { t } = useTranslation();
  return (
    <>
      <Field label={t('wf.settings.category')}>
        <select value={p.form.category} onChange={(e) => p.set('category', e.target.value)} data-testid="wf-field-category">
          <option value="">{t('wf.settings.anyCategory')}</option>
          {p.categories.map((c) => (
            <option key={c.key} value={c.key}>
              {c.title}
            </option>
          ))}
          {p.form.category && !p.categories.some((c) => c.key === p.form.category) && <option value={p.form.category}>{p.form.category}</option>}
        </select>
      </Field>
      <NumberField label={t('wf.settings.topK')} value={p.form.top_k} min={1} max={20} onChange={(v) => p.set('top_k', v)} />
      <Slider label={t('wf.settings.minConfidence')} value={p.form.min_confidence} min={0} max={1} step={0.05} onChange={(v) => p.set('min_confidence', v)} testId="wf-field-min-confidence" />
      <Template label={t('wf.settings.query')} value={p.form.query} onChange={(v) => p.set('query', v)} scope={p.scope} hint={t('wf.settings.queryHint')} />
      <Field label={t('wf.settings.into')}>
        <input value={p.form.into} onChange={(e) => p.set('into', e.target.value)} />
      </Field>
    </>
  );
}

function AiFields(p: { form: Forms['ai_response']; scope: ScopeName[]; set: Setter }) {
  const { t } = useTranslation();
  return (
    <>
      <Field label={t('wf.settings.model')} hint={t('wf.settings.modelHint')}>
        <input list="wf-models" value={p.form.model} onChange={(e) => p.set('model', e.target.value)} placeholder={t('wf.settings.defaultModel')} data-testid="wf-field-model" />
        <datalist id="wf-models">
          {OPENROUTER_MODELS.map((m) => (
            <option key={m} value={m} />
          ))}
        </datalist>
      </Field>
      <Slider label={t('wf.settings.temperature')} value={p.form.temperature} min={0} max={2} step={0.1} onChange={(v) => p.set('temperature', v)} testId="wf-field-temperature" />
      <NumberField label={t('wf.settings.maxTokens')} value={p.form.max_tokens} min={1} onChange={(v) => p.set('max_tokens', v)} testId="wf-field-max-tokens" />
      <Template label={t('wf.settings.systemPrompt')} value={p.form.system_prompt} onChange={(v) => p.set('system_prompt', v)} scope={p.scope} multiline testId="wf-field-system-prompt" />
      <label className="wf-check">
        <input type="checkbox" checked={p.form.grounded} onChange={(e) => p.set('grounded', e.target.checked)} data-testid="wf-field-grounded" />
        <span>{t('wf.settings.grounded')}</span>
      </label>
      {p.form.grounded && (
        <Field label={t('wf.settings.searchVar')}>
          <input value={p.form.search_var} onChange={(e) => p.set('search_var', e.target.value)} />
        </Field>
      )}
    </>
  );
}

function ActionFields(p: { form: Forms['action']; catalogue: Catalogue; integrations: Integration[]; scope: ScopeName[]; set: Setter }) {
  const { t } = useTranslation();
  const chosen = p.integrations.find((i) => i.name === p.form.integration);
  return (
    <>
      <Field label={t('wf.settings.integration')} hint={chosen ? t('wf.settings.integrationHint', { url: chosen.base_url, headers: chosen.header_names.join(', ') || '—' }) : undefined}>
        <select value={p.form.integration} onChange={(e) => p.set('integration', e.target.value)} data-testid="wf-field-integration">
          <option value="">{t('wf.settings.noIntegration')}</option>
          {p.integrations.map((i) => (
            <option key={i.name} value={i.name}>
              {i.name} — {i.base_url}
            </option>
          ))}
          {p.form.integration && !chosen && <option value={p.form.integration}>{p.form.integration}</option>}
        </select>
      </Field>
      <Field label={t('wf.settings.method')}>
        <select value={p.form.method} onChange={(e) => p.set('method', e.target.value)} data-testid="wf-field-method">
          {p.catalogue.http_methods.map((m) => (
            <option key={m}>{m}</option>
          ))}
        </select>
      </Field>
      <Template label={t('wf.settings.url')} value={p.form.url} onChange={(v) => p.set('url', v)} scope={p.scope} hint={p.form.integration ? t('wf.settings.urlRelative') : t('wf.settings.urlAbsolute')} testId="wf-field-url" />
      <Rows label={t('wf.settings.headers')} rows={p.form.headers} keyLabel={t('wf.settings.headerName')} valueLabel={t('wf.settings.template')} onChange={(r) => p.set('headers', r)} />
      <Template label={t('wf.settings.body')} value={p.form.body} onChange={(v) => p.set('body', v)} scope={p.scope} multiline />
      <NumberField label={t('wf.settings.timeout')} value={p.form.timeout_ms} min={1} max={30000} onChange={(v) => p.set('timeout_ms', v)} />
      <Rows label={t('wf.settings.map')} rows={p.form.map} keyLabel={t('wf.settings.variable')} valueLabel={t('wf.settings.pointer')} onChange={(r) => p.set('map', r)} testId="wf-field-map" />
    </>
  );
}

function AskFields(p: { form: Forms['ask']; catalogue: Catalogue; scope: ScopeName[]; set: Setter }) {
  const { t } = useTranslation();
  return (
    <>
      <Field label={t('wf.settings.slot')}>
        <select value={p.form.slot} onChange={(e) => p.set('slot', e.target.value)} data-testid="wf-field-slot">
          <option value="">—</option>
          {p.catalogue.slots.map((s) => (
            <option key={s} value={s}>
              {t(`wf.slots.${s}`, { defaultValue: s })}
            </option>
          ))}
        </select>
      </Field>
      <Template label={t('wf.settings.question')} value={p.form.question} onChange={(v) => p.set('question', v)} scope={p.scope} multiline testId="wf-field-question" />
      <Template label={t('wf.settings.retryQuestion')} value={p.form.retry_question} onChange={(v) => p.set('retry_question', v)} scope={p.scope} />
      <Field label={t('wf.settings.validator')}>
        <select value={p.form.validator_mode} onChange={(e) => p.set('validator_mode', e.target.value)} data-testid="wf-field-validator-mode">
          <option value="auto">{t('wf.settings.validatorAuto')}</option>
          <option value="kind">{t('wf.settings.validatorKind')}</option>
          <option value="regex">{t('wf.settings.validatorRegex')}</option>
        </select>
      </Field>
      {p.form.validator_mode === 'kind' && (
        <Field label={t('wf.settings.slotKind')}>
          <select value={p.form.validator} onChange={(e) => p.set('validator', e.target.value)}>
            <option value="">—</option>
            {p.catalogue.slot_kinds.map((k) => (
              <option key={k} value={k}>
                {t(`wf.slots.${k}`, { defaultValue: k })}
              </option>
            ))}
          </select>
        </Field>
      )}
      {p.form.validator_mode === 'regex' && (
        <Field label={t('wf.settings.regex')} hint={t('wf.settings.regexHint')}>
          <input value={p.form.validator} onChange={(e) => p.set('validator', e.target.value)} />
        </Field>
      )}
      <NumberField label={t('wf.settings.maxRetries')} value={p.form.max_retries} min={0} max={10} onChange={(v) => p.set('max_retries', v)} />
      <label className="wf-check" title={t('wf.settings.reaskHint')}>
        <input type="checkbox" checked={p.form.reask} onChange={(e) => p.set('reask', e.target.checked)} data-testid="wf-field-reask" />
        <span>{t('wf.settings.reask')}</span>
      </label>
    </>
  );
}

function HandoffFields(p: { form: Forms['handoff']; catalogue: Catalogue; scope: ScopeName[]; set: Setter }) {
  const { t } = useTranslation();
  return (
    <>
      <Field label={t('wf.settings.reason')}>
        <select value={p.form.reason} onChange={(e) => p.set('reason', e.target.value)} data-testid="wf-field-reason">
          {p.catalogue.handoff_reasons.map((r) => (
            <option key={r} value={r}>
              {t(`handoff.reason.${r}`, { defaultValue: r })}
            </option>
          ))}
        </select>
      </Field>
      <Field label={t('wf.settings.queue')}>
        <input value={p.form.queue} onChange={(e) => p.set('queue', e.target.value)} />
      </Field>
      <Template label={t('wf.settings.handoffMessage')} value={p.form.message} onChange={(v) => p.set('message', v)} scope={p.scope} multiline testId="wf-field-handoff-message" />
      <Template label={t('wf.settings.briefing')} value={p.form.briefing_template} onChange={(v) => p.set('briefing_template', v)} scope={p.scope} multiline />
    </>
  );
}

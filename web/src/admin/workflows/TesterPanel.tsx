// The tester: type as a customer, see the bot's replies and where each turn went (the path lights
// up on the canvas; a node's steps show on click), the slots and variables as they change, stubs
// for Actions and the LLM so a flow can be tried offline, and "save as test case".
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { formatMicros } from './format';
import type { WfDocument } from './logic/document';
import { suggestCaseName } from './logic/testCases';
import { stepsAt, turnMicros } from './logic/trace';
import type { ActionStub, LlmStub } from './logic/testerStubs';
import { useStudio } from './store';

export function TesterPanel(p: { doc: WfDocument; version: 'draft' | number; readOnly: boolean }) {
  const { t } = useTranslation();
  const tester = useStudio((s) => s.tester);
  const tests = useStudio((s) => s.tests);
  const say = useStudio((s) => s.say);
  const reset = useStudio((s) => s.resetTester);
  const pickTurn = useStudio((s) => s.pickTurn);
  const saveCase = useStudio((s) => s.saveCase);
  const inspect = useStudio((s) => s.inspect);
  const [text, setText] = useState('');
  const [caseName, setCaseName] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const last = tester.turns[tester.turns.length - 1];

  return (
    <div className="wf-panel wf-tester" data-testid="wf-tester">
      <StubsEditor doc={p.doc} />
      <div className="wf-chat" data-testid="wf-chat">
        {tester.messages.length === 0 && <p className="wf-hint">{t('wf.tester.empty', { version: p.version === 'draft' ? t('wf.tester.draft') : t('wf.versions.version', { n: p.version }) })}</p>}
        {tester.turns.map((turn, i) => (
          <div key={i} className={`wf-turn${tester.turn === i ? ' is-lit' : ''}`} data-testid="wf-turn" data-outcome={turn.outcome}>
            <button type="button" className="wf-bubble wf-bubble--in" onClick={() => pickTurn(i)} title={t('wf.tester.showPath')}>
              {turn.message}
            </button>
            {turn.replies.map((r, j) => (
              <div key={j} className="wf-bubble wf-bubble--out" data-testid="wf-reply">
                {r}
              </div>
            ))}
            <div className="wf-turn-meta" data-testid="wf-turn-meta">
              {t(`wf.tester.outcome.${turn.outcome}`, { defaultValue: turn.outcome })}
              {turn.handoff_reason && <> · {t(`handoff.reason.${turn.handoff_reason}`, { defaultValue: turn.handoff_reason })}</>}
              {turn.intent && (
                <>
                  {' '}
                  · {turn.intent}
                  {typeof turn.confidence === 'number' && ` ${turn.confidence.toFixed(2)}`}
                </>
              )}{' '}
              · {formatMicros(turnMicros(turn))}
            </div>
          </div>
        ))}
        {tester.running && <div className="wf-hint">{t('wf.tester.running')}</div>}
        {tester.error && <div className="wf-problem" data-testid="wf-tester-error">{tester.error}</div>}
      </div>
      {last && <State slots={last.slots} trace={last.trace as unknown[]} />}
      <form
        className="wf-say"
        onSubmit={(e) => {
          e.preventDefault();
          const m = text;
          setText('');
          void say(m, p.version);
        }}
      >
        <input value={text} onChange={(e) => setText(e.target.value)} placeholder={t('wf.tester.placeholder')} data-testid="wf-tester-input" disabled={tester.running} />
        <button type="submit" className="wf-primary" disabled={!text.trim() || tester.running} data-testid="wf-tester-send">
          {t('wf.tester.send')}
        </button>
      </form>
      <div className="wf-tester-actions">
        <button type="button" className="text-btn" onClick={reset} disabled={tester.messages.length === 0} data-testid="wf-tester-reset">
          {t('wf.tester.reset')}
        </button>
        {!p.readOnly && tester.turns.length > 0 && caseName === null && (
          <button type="button" className="text-btn" onClick={() => setCaseName(suggestCaseName(tests, tester.messages))} data-testid="wf-save-case">
            {t('wf.tester.saveCase')}
          </button>
        )}
      </div>
      {caseName !== null && (
        <form
          className="wf-say"
          onSubmit={(e) => {
            e.preventDefault();
            if (!caseName.trim()) return;
            saveCase(caseName);
            setSaved(caseName.trim());
            setCaseName(null);
          }}
        >
          <input value={caseName} onChange={(e) => setCaseName(e.target.value)} aria-label={t('wf.tester.caseName')} data-testid="wf-case-name" />
          <button type="submit" className="wf-primary" data-testid="wf-case-save">
            {t('wf.tester.save')}
          </button>
        </form>
      )}
      {saved && <p className="wf-ok" data-testid="wf-case-saved">{t('wf.tester.caseSaved', { name: saved })}</p>}
      {tester.inspect && <Inspector node={tester.inspect} onClose={() => inspect(null)} />}
    </div>
  );
}

/** Slots after the last turn, and the variables its steps set. */
function State(p: { slots: Record<string, string>; trace: unknown[] }) {
  const { t } = useTranslation();
  const vars = useMemo(() => {
    const out: Record<string, unknown> = {};
    for (const s of p.trace as { output?: { set?: Record<string, unknown> } }[]) Object.assign(out, s.output?.set ?? {});
    return out;
  }, [p.trace]);
  const slots = Object.entries(p.slots);
  const varList = Object.entries(vars);
  if (!slots.length && !varList.length) return null;
  return (
    <dl className="wf-state" data-testid="wf-tester-state">
      {slots.map(([k, v]) => (
        <div key={`s:${k}`}>
          <dt>{t(`wf.slots.${k}`, { defaultValue: k })}</dt>
          <dd>{v}</dd>
        </div>
      ))}
      {varList.map(([k, v]) => (
        <div key={`v:${k}`}>
          <dt>vars.{k}</dt>
          <dd>{typeof v === 'string' ? v : JSON.stringify(v)}</dd>
        </div>
      ))}
    </dl>
  );
}

/** The steps a node ran in this dialog: input, output, time. */
function Inspector(p: { node: string; onClose(): void }) {
  const { t } = useTranslation();
  const turns = useStudio((s) => s.tester.turns);
  const steps = stepsAt(turns, p.node);
  return (
    <div className="wf-inspector" data-testid="wf-inspector" data-node-id={p.node}>
      <div className="wf-settings-head">
        <h3>
          {t('wf.tester.inspect')} <code>{p.node}</code>
        </h3>
        <button type="button" className="text-btn" onClick={p.onClose}>
          {t('wf.settings.close')}
        </button>
      </div>
      {steps.length === 0 && <p className="wf-hint">{t('wf.tester.notRun')}</p>}
      {steps.map(({ turn, step }, i) => (
        <div key={i} className="wf-step" data-testid="wf-step">
          <div className="wf-hint">
            {t('wf.tester.turnN', { n: turn })} · {formatMicros(step.micros)}
          </div>
          <div className="wf-step-io">
            <span>{t('wf.tester.input')}</span>
            <pre>{JSON.stringify(step.input, null, 1)}</pre>
            <span>{t('wf.tester.output')}</span>
            <pre data-testid="wf-step-output">{JSON.stringify(step.output, null, 1)}</pre>
          </div>
        </div>
      ))}
    </div>
  );
}

/** Per Action and AI Response node: the real thing, or a canned answer. */
function StubsEditor(p: { doc: WfDocument }) {
  const { t } = useTranslation();
  const stubs = useStudio((s) => s.tester.stubs);
  const setStubs = useStudio((s) => s.setStubs);
  const actions = p.doc.nodes.filter((n) => n.type === 'action');
  const llms = p.doc.nodes.filter((n) => n.type === 'ai_response');
  if (!actions.length && !llms.length) return null;
  const setAction = (id: string, s: ActionStub) => setStubs({ ...stubs, actions: { ...stubs.actions, [id]: s } });
  const setLlm = (id: string, s: LlmStub) => setStubs({ ...stubs, llm: { ...stubs.llm, [id]: s } });
  return (
    <details className="wf-stubs" data-testid="wf-stubs" open>
      <summary>{t('wf.tester.stubs')}</summary>
      {llms.map((n) => {
        const s = stubs.llm[n.id] ?? { mode: 'real' };
        return (
          <div key={n.id} className="wf-stub" data-testid="wf-stub" data-node-id={n.id}>
            <code>{n.id}</code>
            <select value={s.mode} onChange={(e) => setLlm(n.id, e.target.value === 'canned' ? { mode: 'canned', reply: '' } : e.target.value === 'fail' ? { mode: 'fail' } : { mode: 'real' })} data-testid="wf-stub-mode">
              <option value="real">{t('wf.tester.llmReal')}</option>
              <option value="canned">{t('wf.tester.llmCanned')}</option>
              <option value="fail">{t('wf.tester.llmFail')}</option>
            </select>
            {s.mode === 'canned' && <textarea rows={2} value={s.reply} onChange={(e) => setLlm(n.id, { mode: 'canned', reply: e.target.value })} placeholder={t('wf.tester.llmReply')} data-testid="wf-stub-reply" />}
          </div>
        );
      })}
      {actions.map((n) => {
        const s = stubs.actions[n.id] ?? { mode: 'real' };
        return (
          <div key={n.id} className="wf-stub" data-testid="wf-stub" data-node-id={n.id}>
            <code>{n.id}</code>
            <select
              value={s.mode}
              onChange={(e) => setAction(n.id, e.target.value === 'canned' ? { mode: 'canned', status: 200, body: '{}' } : e.target.value === 'timeout' ? { mode: 'timeout' } : { mode: 'real' })}
              data-testid="wf-stub-mode"
            >
              <option value="real">{t('wf.tester.actionReal')}</option>
              <option value="canned">{t('wf.tester.actionCanned')}</option>
              <option value="timeout">{t('wf.tester.actionTimeout')}</option>
            </select>
            {s.mode === 'canned' && (
              <>
                <input type="number" value={s.status} onChange={(e) => setAction(n.id, { ...s, status: Number(e.target.value) })} aria-label={t('wf.tester.status')} className="wf-stub-status" />
                <textarea rows={2} value={s.body} onChange={(e) => setAction(n.id, { ...s, body: e.target.value })} aria-label={t('wf.tester.body')} />
              </>
            )}
          </div>
        );
      })}
    </details>
  );
}

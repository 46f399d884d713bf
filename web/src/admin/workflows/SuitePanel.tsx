// The regression suite: the saved cases, run against the draft or a version, pass/fail per case
// with the first step that differs (a click shows it on the canvas).
import { useTranslation } from 'react-i18next';
import { useStudio } from './store';

export function SuitePanel(p: { version: 'draft' | number; onFocus(node: string): void; readOnly: boolean }) {
  const { t } = useTranslation();
  const tests = useStudio((s) => s.tests);
  const suite = useStudio((s) => s.suite);
  const running = useStudio((s) => s.suiteRunning);
  const runSuite = useStudio((s) => s.runSuite);
  const setTests = useStudio((s) => s.setTests);
  const results = new Map((suite?.cases ?? []).map((c) => [c.name, c]));
  return (
    <div className="wf-panel" data-testid="wf-suite">
      <div className="wf-suite-head">
        <span>{t('wf.suite.count', { count: tests.length })}</span>
        <button type="button" className="wf-primary" disabled={running || tests.length === 0} onClick={() => void runSuite(p.version)} data-testid="wf-suite-run">
          {running ? t('wf.suite.running') : t('wf.suite.run')}
        </button>
      </div>
      {suite && (
        <p className={suite.failed ? 'wf-problem' : 'wf-ok'} data-testid="wf-suite-summary" data-failed={suite.failed} data-passed={suite.passed}>
          {t('wf.suite.summary', { passed: suite.passed, failed: suite.failed, version: suite.version === 'draft' ? t('wf.tester.draft') : t('wf.versions.version', { n: suite.version }) })}
        </p>
      )}
      {tests.length === 0 && <p className="wf-hint">{t('wf.suite.none')}</p>}
      <ul className="wf-cases">
        {tests.map((c) => {
          const r = results.get(c.name);
          return (
            <li key={c.name} className={r ? (r.passed ? 'is-passed' : 'is-failed') : ''} data-testid="wf-case" data-passed={r ? String(r.passed) : undefined}>
              <div className="wf-case-head">
                <span className="wf-case-mark">{r ? (r.passed ? '✓' : '✗') : '•'}</span>
                <span className="wf-case-name">{c.name}</span>
                {!p.readOnly && (
                  <button type="button" className="text-btn" onClick={() => setTests(tests.filter((x) => x.name !== c.name))} aria-label={t('wf.suite.remove')}>
                    ×
                  </button>
                )}
              </div>
              <div className="wf-hint">{c.messages.join(' → ')}</div>
              {r && !r.passed && (
                <div className="wf-case-failure" data-testid="wf-case-failure">
                  {r.divergence ? (
                    <button type="button" className="text-btn" onClick={() => p.onFocus(r.divergence!.actual ?? r.divergence!.expected ?? '')}>
                      {t('wf.suite.diverged', { turn: r.divergence.turn, step: r.divergence.step, expected: r.divergence.expected ?? '—', actual: r.divergence.actual ?? '—' })}
                    </button>
                  ) : null}
                  <div>{r.failures[0]}</div>
                </div>
              )}
            </li>
          );
        })}
      </ul>
    </div>
  );
}

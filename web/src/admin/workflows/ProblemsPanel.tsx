// The server's problems with the draft, each one a click away from its node or edge.
import { useTranslation } from 'react-i18next';
import type { WorkflowProblem } from './api';

export function ProblemsPanel(p: { problems: WorkflowProblem[]; onFocus(problem: WorkflowProblem): void }) {
  const { t } = useTranslation();
  if (p.problems.length === 0) {
    return (
      <div className="wf-panel" data-testid="wf-problems" data-count={0}>
        <p className="wf-ok">{t('wf.problems.none')}</p>
      </div>
    );
  }
  return (
    <div className="wf-panel" data-testid="wf-problems" data-count={p.problems.length}>
      <p className="wf-hint">{t('wf.problems.hint')}</p>
      <ul className="wf-problem-list">
        {p.problems.map((pr, i) => (
          <li key={i}>
            <button type="button" onClick={() => p.onFocus(pr)} data-testid="wf-problem" data-node-id={pr.node_id ?? undefined} data-edge-id={pr.edge_id ?? undefined}>
              {pr.node_id ? <code>{pr.node_id}</code> : pr.edge_id ? <code>{t('wf.problems.edge', { id: pr.edge_id })}</code> : <code>{t('wf.problems.document')}</code>} {pr.message}
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}

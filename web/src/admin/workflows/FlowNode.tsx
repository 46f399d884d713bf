// One node on the canvas: its type and title, a line on what it does, its problems, and a handle
// per output (named as the engine names them) with the input on the left. Memoised: on a graph of
// hundreds of nodes only the nodes whose data changed render again.
import { Handle, Position, type Node, type NodeProps } from '@xyflow/react';
import { memo } from 'react';
import { useTranslation } from 'react-i18next';
import type { WfNode } from './logic/document';
import { summaryOf } from './logic/forms';

export interface FlowNodeData extends Record<string, unknown> {
  node: WfNode;
  outputs: string[];
  /** Outputs that must be connected and are not. */
  open: string[];
  problems: string[];
  /** Tester: times run in the lit turn; `current` for where it stopped. */
  visited: number;
  current: boolean;
  diff: 'added' | 'removed' | 'changed' | 'moved' | 'same' | null;
  readOnly: boolean;
  intentLabels: Record<string, string>;
}

export type FlowNodeType = Node<FlowNodeData, 'wf'>;

function FlowNodeView({ data, selected }: NodeProps<FlowNodeType>) {
  const { t } = useTranslation();
  const { node, outputs, open, problems, visited, current, diff } = data;
  const label = typeof node.data.label === 'string' && node.data.label ? node.data.label : t(`wf.types.${node.type}.title`, { defaultValue: node.type });
  const summary = summaryOf(node.type, node.data);
  const cls = [
    'wf-node',
    `wf-node--${node.type}`,
    selected ? 'is-selected' : '',
    problems.length ? 'has-problems' : '',
    visited ? 'is-visited' : '',
    current ? 'is-current' : '',
    diff && diff !== 'same' ? `diff-${diff}` : '',
  ]
    .filter(Boolean)
    .join(' ');
  return (
    <div className={cls} data-testid="wf-node" data-node-id={node.id} data-node-type={node.type} data-problems={problems.length} data-visited={visited || undefined} data-diff={diff ?? undefined}>
      {node.type !== 'start' && <Handle type="target" position={Position.Left} className="wf-handle wf-handle--in" data-testid="wf-in" />}
      <div className="wf-node-head">
        <span className={`wf-node-icon wf-icon--${node.type}`} aria-hidden />
        <span className="wf-node-title">{label}</span>
        {visited > 0 && <span className="wf-node-badge wf-node-badge--visited" title={t('wf.tester.visited', { count: visited })}>{visited > 1 ? `×${visited}` : '✓'}</span>}
        {problems.length > 0 && (
          <span className="wf-node-badge wf-node-badge--problem" title={problems.join('\n')} data-testid="wf-node-problems">
            {problems.length}
          </span>
        )}
      </div>
      <div className="wf-node-type">
        {t(`wf.types.${node.type}.title`, { defaultValue: node.type })} · <code>{node.id}</code>
      </div>
      {summary && <div className="wf-node-summary">{summary}</div>}
      {problems.length > 0 && <div className="wf-node-problem">{problems[0]}</div>}
      {outputs.length > 0 && (
        <div className="wf-node-outputs">
          {outputs.map((h) => (
            <div key={h} className={`wf-output${open.includes(h) ? ' is-open' : ''}`}>
              <span className="wf-output-label">{outputLabel(t, h, data.intentLabels)}</span>
              <Handle type="source" position={Position.Right} id={h} className="wf-handle wf-handle--out" data-testid="wf-out" data-handle={h} />
            </div>
          ))}
        </div>
      )}
    </div>
  );
}

export function outputLabel(t: (k: string, o?: Record<string, unknown>) => string, handle: string, intents: Record<string, string>): string {
  if (intents[handle]) return intents[handle]!;
  return t(`wf.outputs.${handle}`, { defaultValue: handle });
}

// It shows only its data and whether it is selected: the props React Flow changes on every step of a
// drag (positions, `dragging`, z-index) leave it as it is.
export const FlowNode = memo(FlowNodeView, (a, b) => a.data === b.data && a.selected === b.selected);

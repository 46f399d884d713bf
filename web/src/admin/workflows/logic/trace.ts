// From the tester's turns to what the canvas lights up: the nodes a turn ran, the edges it took
// (each step's `branch` is the output it left by), and every step's input, output and time for the
// inspector.
import type { components } from '../../../shared/api/schema';
import type { WfDocument } from './document';

/** A tester turn; `trace` holds the interpreter's steps (see `Step`). */
export type TestTurn = Omit<components['schemas']['WorkflowTestTurn'], 'trace'> & { trace: unknown[] };

export interface Step {
  node_id: string;
  node_type: string;
  input: unknown;
  output: unknown;
  micros: number;
}

export function stepsOf(turn: TestTurn): Step[] {
  return (turn.trace as unknown as Step[]).filter((s) => s && typeof s.node_id === 'string');
}

/** The nodes a turn ran, in order (the interpreter's `resume` notes are not nodes). */
export function pathOf(turn: TestTurn): string[] {
  return stepsOf(turn)
    .filter((s) => s.node_type !== 'resume')
    .map((s) => s.node_id);
}

function branchOf(s: Step): string | undefined {
  const o = s.output as Record<string, unknown> | null;
  return o && typeof o.branch === 'string' ? o.branch : undefined;
}

export interface Highlight {
  /** Node id → how many times it ran. */
  nodes: Map<string, number>;
  /** Edge ids taken. */
  edges: Set<string>;
  /** The node the turn stopped at (waiting, handed off, ended). */
  last: string | null;
}

/** What to light up for `turns` (usually one, the selected turn; all of them for a whole dialog). */
export function highlightOf(doc: WfDocument, turns: TestTurn[]): Highlight {
  const nodes = new Map<string, number>();
  const edges = new Set<string>();
  let last: string | null = null;
  for (const turn of turns) {
    const steps = stepsOf(turn).filter((s) => s.node_type !== 'resume');
    steps.forEach((s, i) => {
      nodes.set(s.node_id, (nodes.get(s.node_id) ?? 0) + 1);
      const next = steps[i + 1];
      const branch = branchOf(s);
      if (!next || !branch) return;
      const edge = doc.edges.find(
        (e) => e.source === s.node_id && e.target === next.node_id && (e.sourceHandle ?? branch) === branch,
      );
      if (edge) edges.add(edge.id);
    });
    if (steps.length) last = steps[steps.length - 1]!.node_id;
  }
  return { nodes, edges, last };
}

/** The steps that ran a node, across turns, for the inspector. */
export function stepsAt(turns: TestTurn[], nodeId: string): { turn: number; step: Step }[] {
  const out: { turn: number; step: Step }[] = [];
  turns.forEach((t, i) => {
    for (const s of stepsOf(t)) if (s.node_id === nodeId) out.push({ turn: i + 1, step: s });
  });
  return out;
}

/** Total time of a turn's steps, in microseconds. */
export function turnMicros(turn: TestTurn): number {
  return stepsOf(turn).reduce((sum, s) => sum + (s.micros || 0), 0);
}

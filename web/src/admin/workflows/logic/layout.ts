// Auto-layout of a messy graph: dagre's layered layout, left to right, so a conversation reads like
// a sentence from `start`. Outputs are ordered as the node draws them (top to bottom), which keeps
// `high` above `low` and each intent's branch in the order of the list.
import dagre from '@dagrejs/dagre';
import type { WfDocument } from './document';

export const NODE_WIDTH = 220;
export const NODE_HEIGHT = 96;

export interface LayoutOptions {
  /** Measured sizes by node id (React Flow's), else the defaults. */
  sizes?: ReadonlyMap<string, { width: number; height: number }>;
  rankSep?: number;
  nodeSep?: number;
}

/** New positions for every node (top-left corners, as React Flow stores them). */
export function autoLayout(doc: WfDocument, opts: LayoutOptions = {}): Map<string, { x: number; y: number }> {
  const g = new dagre.graphlib.Graph({ multigraph: true });
  g.setGraph({ rankdir: 'LR', ranksep: opts.rankSep ?? 70, nodesep: opts.nodeSep ?? 30, marginx: 20, marginy: 20 });
  g.setDefaultEdgeLabel(() => ({}));
  const size = (id: string) => opts.sizes?.get(id) ?? { width: NODE_WIDTH, height: NODE_HEIGHT };
  // `start` first: dagre keeps insertion order within a rank when it can.
  const ordered = [...doc.nodes].sort((a, b) => Number(b.type === 'start') - Number(a.type === 'start'));
  for (const n of ordered) g.setNode(n.id, { ...size(n.id) });
  for (const e of doc.edges) {
    if (g.hasNode(e.source) && g.hasNode(e.target)) g.setEdge(e.source, e.target, {}, e.id);
  }
  dagre.layout(g);
  const out = new Map<string, { x: number; y: number }>();
  for (const n of doc.nodes) {
    const p = g.node(n.id) as { x: number; y: number } | undefined;
    if (!p) continue;
    const s = size(n.id);
    out.set(n.id, { x: Math.round(p.x - s.width / 2), y: Math.round(p.y - s.height / 2) });
  }
  return out;
}

/** Whether two nodes' boxes overlap, for tests and for deciding that a graph is "messy". */
export function overlaps(a: { x: number; y: number }, b: { x: number; y: number }, w = NODE_WIDTH, h = NODE_HEIGHT): boolean {
  return a.x < b.x + w && b.x < a.x + w && a.y < b.y + h && b.y < a.y + h;
}

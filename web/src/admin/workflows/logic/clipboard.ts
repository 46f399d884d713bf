// Copy and paste: a selection becomes a fragment (its nodes and the edges between them); pasting
// gives every node and edge a fresh id, remaps the edges onto the new ids, and offsets the
// positions, so a paste never collides with what is there. A second `start` is left out: a
// workflow has exactly one.
import type { WfDocument, WfEdge, WfNode } from './document';
import { edgeIds, freshId, nodeIds } from './graph';

export interface Fragment {
  kind: 'frontline-workflow-fragment';
  nodes: WfNode[];
  edges: WfEdge[];
}

export function copySelection(doc: WfDocument, selected: Iterable<string>): Fragment | null {
  const ids = new Set(selected);
  const nodes = doc.nodes.filter((n) => ids.has(n.id));
  if (nodes.length === 0) return null;
  const edges = doc.edges.filter((e) => ids.has(e.source) && ids.has(e.target));
  return { kind: 'frontline-workflow-fragment', nodes: structuredClone(nodes), edges: structuredClone(edges) };
}

export function isFragment(v: unknown): v is Fragment {
  return typeof v === 'object' && v !== null && (v as Fragment).kind === 'frontline-workflow-fragment' && Array.isArray((v as Fragment).nodes);
}

/** Pastes `fragment` into `doc`, moved by `offset`; returns the new document and the pasted ids. */
export function pasteFragment(
  doc: WfDocument,
  fragment: Fragment,
  offset: { x: number; y: number },
): { doc: WfDocument; pasted: string[] } {
  const takenNodes = nodeIds(doc);
  const takenEdges = edgeIds(doc);
  const hasStart = doc.nodes.some((n) => n.type === 'start');
  const remap = new Map<string, string>();
  const nodes: WfNode[] = [];
  for (const n of fragment.nodes) {
    if (n.type === 'start' && (hasStart || nodes.some((m) => m.type === 'start'))) continue;
    const base = n.id.replace(/_\d+$/, '') || n.type;
    const id = takenNodes.has(n.id) ? freshId(base, takenNodes) : n.id;
    takenNodes.add(id);
    remap.set(n.id, id);
    nodes.push({ ...structuredClone(n), id, position: { x: n.position.x + offset.x, y: n.position.y + offset.y } });
  }
  const edges: WfEdge[] = [];
  for (const e of fragment.edges) {
    const source = remap.get(e.source);
    const target = remap.get(e.target);
    if (!source || !target) continue;
    const id = freshId('e', takenEdges);
    takenEdges.add(id);
    edges.push({ ...structuredClone(e), id, source, target });
  }
  return {
    doc: {
      ...doc,
      nodes: [...doc.nodes, ...nodes],
      edges: [...doc.edges, ...edges],
    },
    pasted: nodes.map((n) => n.id),
  };
}

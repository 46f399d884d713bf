// What changed between two documents (a published version and the draft, or two versions): nodes
// added, removed, changed (type or data; a move alone is not a change of behaviour) and moved;
// edges added and removed (an edge is its source, output and target, whatever its id).
import type { WfDocument, WfEdge, WfNode } from './document';

export type NodeChange = 'added' | 'removed' | 'changed' | 'moved' | 'same';
export type EdgeChange = 'added' | 'removed' | 'same';

export interface DocumentDiff {
  nodes: Map<string, NodeChange>;
  /** By edge key (`source:handle→target`). */
  edges: Map<string, EdgeChange>;
  /** Fields of `data` that differ, per changed node. */
  fields: Map<string, string[]>;
  counts: { added: number; removed: number; changed: number; edgesAdded: number; edgesRemoved: number };
}

export function edgeKey(e: Pick<WfEdge, 'source' | 'sourceHandle' | 'target'>): string {
  return `${e.source}:${e.sourceHandle ?? ''}→${e.target}`;
}

/** Stable JSON: key order does not make two equal values differ. */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonical(x)}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

function changedFields(a: WfNode, b: WfNode): string[] {
  const keys = new Set([...Object.keys(a.data ?? {}), ...Object.keys(b.data ?? {})]);
  const out: string[] = [];
  if (a.type !== b.type) out.push('type');
  for (const k of [...keys].sort()) if (canonical(a.data?.[k]) !== canonical(b.data?.[k])) out.push(k);
  return out;
}

/** `base` → `target`. */
export function diffDocuments(base: WfDocument, target: WfDocument): DocumentDiff {
  const before = new Map(base.nodes.map((n) => [n.id, n]));
  const after = new Map(target.nodes.map((n) => [n.id, n]));
  const nodes = new Map<string, NodeChange>();
  const fields = new Map<string, string[]>();
  for (const [id, n] of after) {
    const old = before.get(id);
    if (!old) {
      nodes.set(id, 'added');
      continue;
    }
    const f = changedFields(old, n);
    if (f.length) {
      nodes.set(id, 'changed');
      fields.set(id, f);
    } else if (old.position.x !== n.position.x || old.position.y !== n.position.y) nodes.set(id, 'moved');
    else nodes.set(id, 'same');
  }
  for (const id of before.keys()) if (!after.has(id)) nodes.set(id, 'removed');

  const oldEdges = new Set(base.edges.map(edgeKey));
  const newEdges = new Set(target.edges.map(edgeKey));
  const edges = new Map<string, EdgeChange>();
  for (const k of newEdges) edges.set(k, oldEdges.has(k) ? 'same' : 'added');
  for (const k of oldEdges) if (!newEdges.has(k)) edges.set(k, 'removed');

  const count = (m: Map<string, string>, v: string) => [...m.values()].filter((x) => x === v).length;
  return {
    nodes,
    edges,
    fields,
    counts: {
      added: count(nodes, 'added'),
      removed: count(nodes, 'removed'),
      changed: count(nodes, 'changed'),
      edgesAdded: count(edges, 'added'),
      edgesRemoved: count(edges, 'removed'),
    },
  };
}

/**
 * One document to draw the diff on: the target, plus the removed nodes and edges of the base
 * (where they were), so what is gone can be seen in place.
 */
export function mergedForDiff(base: WfDocument, target: WfDocument): WfDocument {
  const ids = new Set(target.nodes.map((n) => n.id));
  const keys = new Set(target.edges.map(edgeKey));
  const ghosts = base.nodes.filter((n) => !ids.has(n.id));
  const all = new Set([...ids, ...ghosts.map((n) => n.id)]);
  const ghostEdges = base.edges
    .filter((e) => !keys.has(edgeKey(e)) && all.has(e.source) && all.has(e.target))
    .map((e) => ({ ...e, id: `removed:${e.id}` }));
  return { ...target, nodes: [...target.nodes, ...ghosts], edges: [...target.edges, ...ghostEdges] };
}

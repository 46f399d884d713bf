// Editing a workflow document: pure functions from a document to the next one, so every change can
// be undone, tested without a browser and saved as is. Rules mirror the engine's validation where
// a wrong edit would only produce a problem to fix later: one edge per output (a new connection
// from an output replaces the old one), nothing into `start`, one `start`.
import { type Catalogue, outputsOf, startingData } from './catalogue';
import type { NodeData, WfDocument, WfEdge, WfNode } from './document';

/** An id not in `taken`: `prefix_1`, `prefix_2`, … */
export function freshId(prefix: string, taken: ReadonlySet<string>): string {
  for (let i = 1; ; i++) {
    const id = `${prefix}_${i}`;
    if (!taken.has(id)) return id;
  }
}

export function nodeIds(doc: WfDocument): Set<string> {
  return new Set(doc.nodes.map((n) => n.id));
}

export function edgeIds(doc: WfDocument): Set<string> {
  return new Set(doc.edges.map((e) => e.id));
}

/** Adds a node of `type` at `position` with its type's starting data; `null` for a second start. */
export function addNode(
  doc: WfDocument,
  catalogue: Catalogue,
  type: string,
  position: { x: number; y: number },
): { doc: WfDocument; id: string } | null {
  if (type === 'start' && doc.nodes.some((n) => n.type === 'start')) return null;
  const id = type === 'start' ? freshStart(doc) : freshId(type, nodeIds(doc));
  const node: WfNode = { id, type, position: { x: Math.round(position.x), y: Math.round(position.y) }, data: startingData(catalogue, type) };
  return { doc: { ...doc, nodes: [...doc.nodes, node] }, id };
}

function freshStart(doc: WfDocument): string {
  return nodeIds(doc).has('start') ? freshId('start', nodeIds(doc)) : 'start';
}

export interface Connection {
  source: string;
  sourceHandle?: string | null;
  target: string;
}

/** Why a connection cannot be drawn, or `null` when it can. */
export function connectionProblem(doc: WfDocument, c: Connection, catalogue: Catalogue): 'self' | 'into_start' | 'no_output' | 'unknown' | null {
  const source = doc.nodes.find((n) => n.id === c.source);
  const target = doc.nodes.find((n) => n.id === c.target);
  if (!source || !target) return 'unknown';
  if (c.source === c.target) return 'self';
  if (target.type === 'start') return 'into_start';
  const outputs = outputsOf(source, catalogue);
  const handle = c.sourceHandle ?? (outputs.length === 1 ? outputs[0] : undefined);
  if (!handle || !outputs.includes(handle)) return 'no_output';
  return null;
}

/** Connects an output to a node; an edge already leaving that output is replaced. */
export function connect(doc: WfDocument, c: Connection, catalogue: Catalogue): WfDocument {
  if (connectionProblem(doc, c, catalogue)) return doc;
  const source = doc.nodes.find((n) => n.id === c.source)!;
  const outputs = outputsOf(source, catalogue);
  const handle = c.sourceHandle ?? outputs[0]!;
  const same = (e: WfEdge) => e.source === c.source && handleOf(e, outputs) === handle;
  const kept = doc.edges.filter((e) => !same(e));
  const edge: WfEdge = { id: freshId('e', edgeIds(doc)), source: c.source, sourceHandle: handle, target: c.target };
  return { ...doc, edges: [...kept, edge] };
}

/** The output an edge leaves from (an edge without a handle leaves a single-output node's only one). */
export function handleOf(e: WfEdge, outputs: string[]): string | undefined {
  if (e.sourceHandle) return e.sourceHandle;
  return outputs.length === 1 ? outputs[0] : undefined;
}

/** Removes nodes (with their edges) and edges. */
export function removeElements(doc: WfDocument, nodes: Iterable<string>, edges: Iterable<string> = []): WfDocument {
  const goneNodes = new Set(nodes);
  const goneEdges = new Set(edges);
  if (goneNodes.size === 0 && goneEdges.size === 0) return doc;
  return {
    ...doc,
    nodes: doc.nodes.filter((n) => !goneNodes.has(n.id)),
    edges: doc.edges.filter((e) => !goneEdges.has(e.id) && !goneNodes.has(e.source) && !goneNodes.has(e.target)),
  };
}

/** Moves nodes to new positions (rounded: the saved document stays readable). */
export function moveNodes(doc: WfDocument, positions: ReadonlyMap<string, { x: number; y: number }>): WfDocument {
  let moved = false;
  const nodes = doc.nodes.map((n) => {
    const p = positions.get(n.id);
    if (!p) return n;
    const position = { x: Math.round(p.x), y: Math.round(p.y) };
    if (position.x === n.position.x && position.y === n.position.y) return n;
    moved = true;
    return { ...n, position };
  });
  // A click that "drags" nowhere is no edit (nothing to undo, nothing to save).
  return moved ? { ...doc, nodes } : doc;
}

/**
 * Replaces a node's data. Edges from outputs the node no longer has (an intent taken off an
 * intent node's list) go with them, so the canvas never shows an edge leaving from nowhere.
 */
export function setNodeData(doc: WfDocument, id: string, data: NodeData, catalogue: Catalogue): WfDocument {
  const node = doc.nodes.find((n) => n.id === id);
  if (!node) return doc;
  const updated = { ...node, data };
  const before = outputsOf(node, catalogue);
  const after = outputsOf(updated, catalogue);
  const edges = doc.edges.filter((e) => {
    if (e.source !== id) return true;
    const h = handleOf(e, before);
    return h !== undefined && after.includes(h);
  });
  return { ...doc, nodes: doc.nodes.map((n) => (n.id === id ? updated : n)), edges };
}

/** Renames a node id (edges follow); refused (`null`) when the id is taken or empty. */
export function renameNode(doc: WfDocument, from: string, to: string): WfDocument | null {
  const id = to.trim();
  if (!id || id === from || nodeIds(doc).has(id)) return null;
  return {
    ...doc,
    nodes: doc.nodes.map((n) => (n.id === from ? { ...n, id } : n)),
    edges: doc.edges.map((e) => ({ ...e, source: e.source === from ? id : e.source, target: e.target === from ? id : e.target })),
  };
}

/** The edges that leave each output of a node: handle → edge. */
export function edgesByHandle(doc: WfDocument, node: WfNode, catalogue: Catalogue): Map<string, WfEdge> {
  const outputs = outputsOf(node, catalogue);
  const out = new Map<string, WfEdge>();
  for (const e of doc.edges) {
    if (e.source !== node.id) continue;
    const h = handleOf(e, outputs);
    if (h && !out.has(h)) out.set(h, e);
  }
  return out;
}

// The workflow document as the engine stores it (crates/frontline-engine/src/workflow/document.rs):
// ReactFlow-shaped nodes and edges, `data` per node type. The editor keeps whatever else a node,
// edge or the document carries (`viewport`, `measured`, …) and writes it back unchanged.

export type NodeType =
  | 'start'
  | 'intent'
  | 'confidence'
  | 'context'
  | 'search'
  | 'ai_response'
  | 'condition'
  | 'action'
  | 'ask'
  | 'message'
  | 'handoff'
  | 'end';

export type NodeData = Record<string, unknown>;

export interface WfNode {
  id: string;
  type: string;
  position: { x: number; y: number };
  data: NodeData;
  [extra: string]: unknown;
}

export interface WfEdge {
  id: string;
  source: string;
  target: string;
  sourceHandle?: string | null;
  targetHandle?: string | null;
  [extra: string]: unknown;
}

export interface WfDocument {
  version: number;
  nodes: WfNode[];
  edges: WfEdge[];
  [extra: string]: unknown;
}

export const DOCUMENT_VERSION = 1;

export function emptyDocument(): WfDocument {
  return { version: DOCUMENT_VERSION, nodes: [], edges: [] };
}

/** Fields React Flow adds while editing that mean nothing once saved. */
const TRANSIENT_NODE_FIELDS = ['selected', 'dragging', 'measured', 'width', 'height', 'resizing', 'positionAbsolute'];
const TRANSIENT_EDGE_FIELDS = ['selected', 'animated', 'className', 'style', 'label', 'labelStyle', 'markerEnd', 'type', 'zIndex', 'data'];

/** The document as it is saved: editor-only state stripped, everything else kept. */
export function cleanForSave(doc: WfDocument): WfDocument {
  return {
    ...doc,
    nodes: doc.nodes.map((n) => omit(n, TRANSIENT_NODE_FIELDS) as WfNode),
    edges: doc.edges.map((e) => omit(e, TRANSIENT_EDGE_FIELDS) as WfEdge),
  };
}

function omit(o: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (!keys.includes(k)) out[k] = v;
  return out;
}

export class DocumentError extends Error {}

/** A document read from an imported file: the engine's shape, checked enough to edit safely. */
export function parseDocument(text: string): WfDocument {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new DocumentError('not_json');
  }
  if (!isObject(raw)) throw new DocumentError('not_object');
  // A file exported with its name and tests ({name, document, tests}) imports as well.
  const doc = isObject(raw.document) ? raw.document : raw;
  if (doc.version !== DOCUMENT_VERSION) throw new DocumentError('version');
  const nodes = Array.isArray(doc.nodes) ? doc.nodes : [];
  const edges = Array.isArray(doc.edges) ? doc.edges : [];
  for (const n of nodes) {
    if (!isObject(n) || typeof n.id !== 'string' || typeof n.type !== 'string') throw new DocumentError('node');
  }
  for (const e of edges) {
    if (!isObject(e) || typeof e.id !== 'string' || typeof e.source !== 'string' || typeof e.target !== 'string') {
      throw new DocumentError('edge');
    }
  }
  return {
    ...(doc as Record<string, unknown>),
    version: DOCUMENT_VERSION,
    nodes: (nodes as Record<string, unknown>[]).map((n) => ({
      ...n,
      position: readPosition(n.position),
      data: isObject(n.data) ? n.data : {},
    })) as WfNode[],
    edges: edges as WfEdge[],
  };
}

function readPosition(p: unknown): { x: number; y: number } {
  if (isObject(p) && typeof p.x === 'number' && typeof p.y === 'number') return { x: p.x, y: p.y };
  return { x: 0, y: 0 };
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The export file: the document exactly as the engine stores it, pretty-printed. */
export function exportDocument(doc: WfDocument): string {
  return JSON.stringify(cleanForSave(doc), null, 2) + '\n';
}

/** A file name for an export: the workflow's name in latin-safe characters. */
export function exportFileName(name: string): string {
  const base = name
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, '-')
    .replace(/^-+|-+$/g, '');
  return `${base || 'workflow'}.workflow.json`;
}

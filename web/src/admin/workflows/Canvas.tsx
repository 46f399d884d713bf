// The canvas: React Flow over the open document. Positions live in React Flow's own state while a
// node is dragged and reach the document (and undo, and the server) when the drag ends, so dragging
// one of hundreds of nodes touches nothing else. Everything else — connect, delete, select — goes
// straight to the studio's store.
import {
  Controls,
  MiniMap,
  ReactFlow,
  applyNodeChanges,
  useReactFlow,
  type Edge,
  type NodeChange,
  type OnConnect,
  type EdgeChange,
  type Connection as RfConnection,
} from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type DragEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { CanvasDots } from './CanvasDots';
import { FlowNode, type FlowNodeData, type FlowNodeType } from './FlowNode';
import { outputsOf, isRequiredOutput, type Catalogue } from './logic/catalogue';
import { connectionProblem, edgesByHandle } from './logic/graph';
import type { WfDocument, WfNode } from './logic/document';
import type { Highlight } from './logic/trace';
import { edgeKey, type DocumentDiff } from './logic/diff';

export const NODE_DRAG_TYPE = 'application/x-frontline-node';

export interface CanvasProps {
  doc: WfDocument;
  catalogue: Catalogue;
  problemsByNode: Map<string, string[]>;
  problemEdges: Set<string>;
  highlight: Highlight | null;
  diff: DocumentDiff | null;
  readOnly: boolean;
  selected: { nodes: string[]; edges: string[] };
  onSelect(s: { nodes: string[]; edges: string[] }): void;
  onMove?(positions: Map<string, { x: number; y: number }>): void;
  onConnect?(c: { source: string; sourceHandle: string | null; target: string }): void;
  onDelete?(nodes: string[], edges: string[]): void;
  onDropNode?(type: string, position: { x: number; y: number }): void;
  onNodeClick?(id: string): void;
  /** Set to a node id to bring it into view (problems list, tester inspector). */
  focus: { id: string; at: number } | null;
}

// Everything handed to React Flow keeps its identity from one render to the next: the canvas renders
// again on every step of a drag (positions are its state), and React Flow copies each changed prop
// into its store (every subscriber, one per node and edge and minimap node, runs again) or renders
// every node again (a new `onNodeClick`).
const nodeTypes = { wf: FlowNode };
const fitViewOptions = { padding: 0.15, maxZoom: 1.1 };
const proOptions = { hideAttribution: true };
const deleteKeys = ['Delete', 'Backspace'];
const multiSelectionKeys = ['Meta', 'Control', 'Shift'];
const miniMapStyle = { width: 150, height: 96 };
const miniNodeClass = (n: FlowNodeType) => `wf-mini wf-mini--${n.data.node.type}`;
const onDragOver = (e: DragEvent) => (e.dataTransfer.types.includes(NODE_DRAG_TYPE) ? e.preventDefault() : undefined);

export function Canvas(p: CanvasProps) {
  const { t } = useTranslation();
  const rf = useReactFlow();
  // The handlers read the latest props through this, so they stay the same functions.
  const latest = useRef(p);
  useLayoutEffect(() => {
    latest.current = p;
  });
  const intentLabels = useMemo(() => Object.fromEntries(p.catalogue.intents.map((i) => [i.name, i.label || i.name])), [p.catalogue]);
  const selectedNodes = useMemo(() => new Set(p.selected.nodes), [p.selected.nodes]);
  const selectedEdges = useMemo(() => new Set(p.selected.edges), [p.selected.edges]);
  // Fit the view to a graph that is there when the canvas opens; an empty canvas stays at 100 %
  // (fitting around the first node dropped would move it under the cursor's next drop).
  const [fitOnOpen] = useState(() => p.doc.nodes.length > 0);

  // One React Flow node per document node, rebuilt only for nodes whose inputs changed.
  const cache = useRef(new Map<string, { key: unknown[]; node: FlowNodeType }>());
  const derived = useMemo(() => {
    const out: FlowNodeType[] = [];
    const next = new Map<string, { key: unknown[]; node: FlowNodeType }>();
    for (const n of p.doc.nodes) {
      const outputs = outputsOf(n, p.catalogue);
      const connected = edgesByHandle(p.doc, n, p.catalogue);
      const open = outputs.filter((h) => !connected.has(h) && isRequiredOutput(n, h, p.catalogue));
      const problems = p.problemsByNode.get(n.id) ?? [];
      const visited = p.highlight?.nodes.get(n.id) ?? 0;
      const current = p.highlight?.last === n.id;
      const diff = p.diff?.nodes.get(n.id) ?? null;
      const sel = selectedNodes.has(n.id);
      const key = [n, outputs.join('|'), open.join('|'), problems.join('|'), visited, current, diff, sel, p.readOnly, intentLabels];
      const prev = cache.current.get(n.id);
      if (prev && prev.key.every((k, i) => k === key[i])) {
        next.set(n.id, prev);
        out.push(prev.node);
        continue;
      }
      const data: FlowNodeData = { node: n, outputs, open, problems, visited, current, diff, readOnly: p.readOnly, intentLabels };
      const node: FlowNodeType = {
        id: n.id,
        type: 'wf',
        position: n.position,
        data,
        selected: sel,
        draggable: !p.readOnly,
        connectable: !p.readOnly,
        deletable: !p.readOnly,
      };
      next.set(n.id, { key, node });
      out.push(node);
    }
    cache.current = next;
    return out;
  }, [p.doc, p.catalogue, p.problemsByNode, p.highlight, p.diff, selectedNodes, p.readOnly, intentLabels]);

  // React Flow's own copy: measured sizes and drag positions live here.
  const [nodes, setNodes] = useState<FlowNodeType[]>(derived);
  useEffect(() => {
    setNodes((prev) => {
      const measured = new Map(prev.map((n) => [n.id, n.measured]));
      return derived.map((n) => {
        const m = measured.get(n.id);
        return m && !n.measured ? { ...n, measured: m } : n;
      });
    });
  }, [derived]);

  const edges = useMemo<Edge[]>(() => {
    const byId = new Map<string, WfNode>(p.doc.nodes.map((n) => [n.id, n]));
    return p.doc.edges.map((e) => {
      const source = byId.get(e.source);
      const outputs = source ? outputsOf(source, p.catalogue) : [];
      const handle = e.sourceHandle ?? (outputs.length === 1 ? outputs[0] : undefined);
      const taken = p.highlight?.edges.has(e.id) ?? false;
      const change = p.diff ? (e.id.startsWith('removed:') ? 'removed' : p.diff.edges.get(edgeKey({ ...e, sourceHandle: handle }))) : undefined;
      const cls = ['wf-edge', taken ? 'is-taken' : '', p.problemEdges.has(e.id) ? 'has-problem' : '', change && change !== 'same' ? `diff-${change}` : ''].filter(Boolean).join(' ');
      return {
        id: e.id,
        source: e.source,
        target: e.target,
        sourceHandle: handle ?? null,
        targetHandle: null,
        className: cls,
        animated: taken,
        selected: selectedEdges.has(e.id),
        deletable: !p.readOnly,
        data: { handle },
      };
    });
  }, [p.doc, p.catalogue, p.highlight, p.problemEdges, p.diff, selectedEdges, p.readOnly]);

  /** Selection changes from React Flow (clicks, the selection box) applied to the store's selection. */
  const select = useCallback((changes: { id: string; selected: boolean }[], which: 'nodes' | 'edges') => {
    if (!changes.length) return;
    const p = latest.current;
    const current = new Set(p.selected[which]);
    for (const c of changes) {
      if (c.selected) current.add(c.id);
      else current.delete(c.id);
    }
    const next = [...current];
    if (next.join() !== p.selected[which].join()) p.onSelect({ ...p.selected, [which]: next });
  }, []);

  const onNodesChange = useCallback(
    (changes: NodeChange<FlowNodeType>[]) => {
      // Selection and removal are the store's; positions and sizes are React Flow's until a drag ends.
      const local = changes.filter((c) => c.type === 'position' || c.type === 'dimensions');
      if (local.length) setNodes((ns) => applyNodeChanges(local, ns));
      const ended = changes.filter((c) => c.type === 'position' && c.dragging === false && c.position);
      const onMove = latest.current.onMove;
      if (ended.length && onMove) {
        onMove(new Map(ended.map((c) => [(c as { id: string }).id, (c as { position: { x: number; y: number } }).position])));
      }
      select(changes.flatMap((c) => (c.type === 'select' ? [{ id: c.id, selected: c.selected }] : [])), 'nodes');
    },
    [select],
  );

  const onEdgesChange = useCallback(
    (changes: EdgeChange[]) => select(changes.flatMap((c) => (c.type === 'select' ? [{ id: c.id, selected: c.selected }] : [])), 'edges'),
    [select],
  );

  const onConnect = useCallback<OnConnect>(
    (c: RfConnection) => latest.current.onConnect?.({ source: c.source, sourceHandle: c.sourceHandle ?? null, target: c.target }),
    [],
  );

  const isValidConnection = useCallback(
    (c: Edge | RfConnection) => connectionProblem(p.doc, { source: c.source, sourceHandle: c.sourceHandle ?? null, target: c.target }, p.catalogue) === null,
    [p.doc, p.catalogue],
  );

  const onDelete = useCallback(
    ({ nodes: ns, edges: es }: { nodes: FlowNodeType[]; edges: Edge[] }) =>
      latest.current.onDelete?.(ns.map((n) => n.id), es.filter((e) => !e.id.startsWith('removed:')).map((e) => e.id)),
    [],
  );

  const onNodeClick = useCallback((_: unknown, n: FlowNodeType) => latest.current.onNodeClick?.(n.id), []);

  const onDrop = useCallback(
    (e: DragEvent) => {
      const p = latest.current;
      const type = e.dataTransfer.getData(NODE_DRAG_TYPE);
      if (!type || p.readOnly) return;
      e.preventDefault();
      const at = rf.screenToFlowPosition({ x: e.clientX, y: e.clientY });
      p.onDropNode?.(type, { x: at.x - 110, y: at.y - 30 });
    },
    [rf],
  );

  const ariaLabelConfig = useMemo(() => ({ 'controls.ariaLabel': t('wf.canvas.controls') }), [t]);

  useEffect(() => {
    if (!p.focus) return;
    const n = rf.getNode(p.focus.id);
    if (!n) return;
    const w = n.measured?.width ?? 220;
    const h = n.measured?.height ?? 96;
    void rf.setCenter(n.position.x + w / 2, n.position.y + h / 2, { zoom: Math.max(rf.getZoom(), 1), duration: 300 });
  }, [p.focus, rf]);

  return (
    <div className="wf-canvas" data-testid="wf-canvas" onDragOver={onDragOver} onDrop={onDrop}>
      <ReactFlow<FlowNodeType, Edge>
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onConnect={onConnect}
        isValidConnection={isValidConnection}
        onDelete={onDelete}
        onNodeClick={onNodeClick}
        nodesDraggable={!p.readOnly}
        nodesConnectable={!p.readOnly}
        deleteKeyCode={p.readOnly ? null : deleteKeys}
        multiSelectionKeyCode={multiSelectionKeys}
        selectionKeyCode="Shift"
        onlyRenderVisibleElements
        minZoom={0.1}
        fitView={fitOnOpen}
        fitViewOptions={fitViewOptions}
        proOptions={proOptions}
        ariaLabelConfig={ariaLabelConfig}
      >
        <CanvasDots gap={20} size={1} />
        <MiniMap pannable zoomable className="wf-minimap" style={miniMapStyle} nodeClassName={miniNodeClass} />
        <Controls showInteractive={false} />
      </ReactFlow>
    </div>
  );
}

import { describe, expect, it } from 'vitest';
import { cleanForSave, exportDocument, exportFileName, parseDocument } from './document';
import { addNode, connect, connectionProblem, edgesByHandle, freshId, removeElements, renameNode, setNodeData } from './graph';
import { CATALOGUE, deliveryFlow } from './fixtures';
import { outputsOf } from './catalogue';

describe('editing the graph', () => {
  it('adds nodes with their type’s starting data and fresh ids, and only one start', () => {
    let doc = deliveryFlow();
    const a = addNode(doc, CATALOGUE, 'search', { x: 10.4, y: 20.6 })!;
    expect(a.id).toBe('search_2');
    doc = a.doc;
    const node = doc.nodes.find((n) => n.id === 'search_2')!;
    expect(node.data).toEqual({ top_k: 4, min_confidence: 0.5, into: 'search' });
    expect(node.position).toEqual({ x: 10, y: 21 });
    // The starting data is a copy: editing it leaves the catalogue alone.
    (node.data as Record<string, unknown>).top_k = 9;
    expect(CATALOGUE.node_types[4]!.data).toEqual({ top_k: 4, min_confidence: 0.5, into: 'search' });
    expect(addNode(doc, CATALOGUE, 'start', { x: 0, y: 0 })).toBeNull();
    expect(addNode({ version: 1, nodes: [], edges: [] }, CATALOGUE, 'start', { x: 0, y: 0 })!.id).toBe('start');
    expect(freshId('e', new Set(['e_1', 'e_2']))).toBe('e_3');
  });

  it('an output has one edge: connecting it again replaces the old one', () => {
    let doc = deliveryFlow();
    const before = doc.edges.length;
    doc = connect(doc, { source: 'search_1', sourceHandle: 'not_found', target: 'ai_response_1' }, CATALOGUE);
    expect(doc.edges).toHaveLength(before);
    const fromNotFound = doc.edges.filter((e) => e.source === 'search_1' && e.sourceHandle === 'not_found');
    expect(fromNotFound.map((e) => e.target)).toEqual(['ai_response_1']);
    // A single-output node's edge without a handle is the same output.
    doc = connect(doc, { source: 'start', target: 'search_1' }, CATALOGUE);
    expect(doc.edges.filter((e) => e.source === 'start').map((e) => [e.sourceHandle, e.target])).toEqual([['out', 'search_1']]);
  });

  it('refuses what the engine would refuse: into start, to itself, from an output the node lacks', () => {
    const doc = deliveryFlow();
    expect(connectionProblem(doc, { source: 'intent_1', sourceHandle: 'fallback', target: 'start' }, CATALOGUE)).toBe('into_start');
    expect(connectionProblem(doc, { source: 'search_1', sourceHandle: 'found', target: 'search_1' }, CATALOGUE)).toBe('self');
    expect(connectionProblem(doc, { source: 'search_1', sourceHandle: 'maybe', target: 'handoff_1' }, CATALOGUE)).toBe('no_output');
    expect(connectionProblem(doc, { source: 'handoff_1', target: 'search_1' }, CATALOGUE)).toBe('no_output');
    expect(connect(doc, { source: 'handoff_1', target: 'search_1' }, CATALOGUE)).toBe(doc);
  });

  it('deleting a node takes its edges; taking an intent off the list takes its branch', () => {
    let doc = removeElements(deliveryFlow(), ['search_1']);
    expect(doc.nodes.map((n) => n.id)).not.toContain('search_1');
    expect(doc.edges.map((e) => e.id)).toEqual(['e_1', 'e_3']);
    doc = removeElements(doc, [], ['e_3']);
    expect(doc.edges.map((e) => e.id)).toEqual(['e_1']);

    let flow = setNodeData(deliveryFlow(), 'intent_1', { intents: ['order_status', 'delivery'] }, CATALOGUE);
    expect(outputsOf(flow.nodes[1]!, CATALOGUE)).toEqual(['order_status', 'delivery', 'fallback']);
    expect(flow.edges.some((e) => e.id === 'e_2')).toBe(true);
    flow = setNodeData(flow, 'intent_1', { intents: ['order_status'] }, CATALOGUE);
    expect(flow.edges.some((e) => e.id === 'e_2')).toBe(false);
    expect(flow.edges.some((e) => e.id === 'e_3')).toBe(true);
    expect([...edgesByHandle(flow, flow.nodes[1]!, CATALOGUE).keys()]).toEqual(['fallback']);
  });

  it('renaming a node moves its edges; a taken id is refused', () => {
    const doc = renameNode(deliveryFlow(), 'search_1', 'kb')!;
    expect(doc.edges.filter((e) => e.source === 'kb' || e.target === 'kb')).toHaveLength(3);
    expect(renameNode(deliveryFlow(), 'search_1', 'handoff_1')).toBeNull();
    expect(renameNode(deliveryFlow(), 'search_1', '  ')).toBeNull();
  });
});

describe('the document on disk', () => {
  it('imports the engine’s JSON (or an export with name and tests) and exports it without editor state', () => {
    const doc = deliveryFlow();
    const messy = { ...doc, nodes: doc.nodes.map((n) => ({ ...n, selected: true, measured: { width: 1, height: 2 }, dragging: false })) };
    const saved = cleanForSave(messy);
    expect(saved.nodes[0]).toEqual(doc.nodes[0]);
    expect(saved.viewport).toEqual({ x: 0, y: 0, zoom: 1 });
    const again = parseDocument(exportDocument(messy));
    expect(again).toEqual(cleanForSave(doc));
    expect(parseDocument(JSON.stringify({ name: 'x', document: doc, tests: [] }))).toEqual(doc);
    expect(() => parseDocument('{')).toThrow('not_json');
    expect(() => parseDocument('{"version": 2, "nodes": []}')).toThrow('version');
    expect(() => parseDocument('{"version": 1, "nodes": [{"type": "start"}]}')).toThrow('node');
    expect(parseDocument('{"version": 1, "nodes": [{"id": "s", "type": "start"}]}').nodes[0]).toEqual({ id: 's', type: 'start', position: { x: 0, y: 0 }, data: {} });
    expect(exportFileName('Доставка и оплата!')).toBe('доставка-и-оплата.workflow.json');
    expect(exportFileName('  ')).toBe('workflow.workflow.json');
  });
});

import { describe, expect, it } from 'vitest';
import { canonical, diffDocuments, edgeKey, mergedForDiff } from './diff';
import { deliveryFlow } from './fixtures';
import { connect, removeElements, setNodeData, moveNodes, addNode } from './graph';
import { CATALOGUE } from './fixtures';

describe('the diff of two documents', () => {
  it('sees added, removed, changed and moved nodes and added and removed edges', () => {
    const base = deliveryFlow();
    let draft = setNodeData(base, 'search_1', { ...base.nodes[2]!.data, top_k: 5 }, CATALOGUE);
    draft = removeElements(draft, ['ai_response_1']);
    draft = addNode(draft, CATALOGUE, 'message', { x: 750, y: 0 })!.doc;
    draft = connect(draft, { source: 'search_1', sourceHandle: 'found', target: 'message_1' }, CATALOGUE);
    draft = moveNodes(draft, new Map([['handoff_1', { x: 520, y: 220 }]]));
    const d = diffDocuments(base, draft);
    expect(Object.fromEntries(d.nodes)).toEqual({
      start: 'same',
      intent_1: 'same',
      search_1: 'changed',
      handoff_1: 'moved',
      message_1: 'added',
      ai_response_1: 'removed',
    });
    expect(d.fields.get('search_1')).toEqual(['top_k']);
    expect(d.edges.get('search_1:found→message_1')).toBe('added');
    expect(d.edges.get('search_1:found→ai_response_1')).toBe('removed');
    expect(d.counts).toEqual({ added: 1, removed: 1, changed: 1, edgesAdded: 1, edgesRemoved: 1 });
  });

  it('ignores key order, edge ids and UI fields; a type change is a change', () => {
    const base = deliveryFlow();
    const same = {
      ...base,
      nodes: base.nodes.map((n) => ({ ...n, data: Object.fromEntries(Object.entries(n.data).reverse()) })),
      edges: base.edges.map((e, i) => ({ ...e, id: `other_${i}` })),
    };
    const d = diffDocuments(base, same);
    expect([...d.nodes.values()].every((c) => c === 'same')).toBe(true);
    expect([...d.edges.values()].every((c) => c === 'same')).toBe(true);
    expect(canonical({ b: 1, a: [1, { d: 2, c: undefined }] })).toBe('{"a":[1,{"d":2}],"b":1}');
    const retyped = { ...base, nodes: base.nodes.map((n) => (n.id === 'handoff_1' ? { ...n, type: 'end', data: {} } : n)) };
    expect(diffDocuments(base, retyped).fields.get('handoff_1')).toEqual(['type', 'reason']);
  });

  it('draws removed nodes and edges beside the new document', () => {
    const base = deliveryFlow();
    const draft = removeElements(base, ['ai_response_1']);
    const merged = mergedForDiff(base, draft);
    expect(merged.nodes.map((n) => n.id)).toContain('ai_response_1');
    expect(merged.edges.find((e) => edgeKey(e) === 'search_1:found→ai_response_1')!.id).toBe('removed:e_4');
    expect(merged.nodes).toHaveLength(base.nodes.length);
  });
});

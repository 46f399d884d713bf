import { describe, expect, it } from 'vitest';
import { copySelection, isFragment, pasteFragment } from './clipboard';
import { deliveryFlow } from './fixtures';

describe('copy and paste', () => {
  it('copies the selected nodes and only the edges between them', () => {
    const f = copySelection(deliveryFlow(), ['intent_1', 'search_1', 'nowhere'])!;
    expect(f.nodes.map((n) => n.id)).toEqual(['intent_1', 'search_1']);
    expect(f.edges.map((e) => e.id)).toEqual(['e_2']);
    expect(isFragment(JSON.parse(JSON.stringify(f)))).toBe(true);
    expect(isFragment({ nodes: [] })).toBe(false);
    expect(copySelection(deliveryFlow(), [])).toBeNull();
  });

  it('pastes with fresh ids, edges remapped onto them, positions offset', () => {
    const doc = deliveryFlow();
    const f = copySelection(doc, ['intent_1', 'search_1', 'ai_response_1'])!;
    const { doc: out, pasted } = pasteFragment(doc, f, { x: 40, y: 40 });
    expect(pasted).toEqual(['intent_2', 'search_2', 'ai_response_2']);
    expect(out.nodes).toHaveLength(doc.nodes.length + 3);
    const copy = out.nodes.find((n) => n.id === 'search_2')!;
    expect(copy.position).toEqual({ x: 540, y: 40 });
    expect(copy.data).toEqual(doc.nodes[2]!.data);
    const newEdges = out.edges.slice(doc.edges.length);
    expect(newEdges.map((e) => [e.id, e.source, e.sourceHandle, e.target])).toEqual([
      ['e_6', 'intent_2', 'delivery', 'search_2'],
      ['e_7', 'search_2', 'found', 'ai_response_2'],
    ]);
    // The original is untouched, and a second paste gets ids of its own.
    expect(doc.nodes).toHaveLength(5);
    const twice = pasteFragment(out, f, { x: 80, y: 80 });
    expect(twice.pasted).toEqual(['intent_3', 'search_3', 'ai_response_3']);
    expect(new Set(twice.doc.edges.map((e) => e.id)).size).toBe(twice.doc.edges.length);
  });

  it('keeps ids that are free, and never pastes a second start', () => {
    const doc = deliveryFlow();
    const f = copySelection(doc, ['start', 'intent_1'])!;
    const into = { version: 1, nodes: [], edges: [] };
    const fresh = pasteFragment(into, f, { x: 0, y: 0 });
    expect(fresh.pasted).toEqual(['start', 'intent_1']);
    expect(fresh.doc.edges.map((e) => [e.source, e.target])).toEqual([['start', 'intent_1']]);
    const again = pasteFragment(doc, f, { x: 0, y: 0 });
    expect(again.pasted).toEqual(['intent_2']);
    expect(again.doc.nodes.filter((n) => n.type === 'start')).toHaveLength(1);
    expect(again.doc.edges).toHaveLength(doc.edges.length);
  });
});

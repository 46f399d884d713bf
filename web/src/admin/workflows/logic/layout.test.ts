import { describe, expect, it } from 'vitest';
import { autoLayout, NODE_HEIGHT, NODE_WIDTH, overlaps } from './layout';
import { deliveryFlow } from './fixtures';
import type { WfDocument } from './document';

describe('auto-layout', () => {
  it('lays a messy graph out left to right without overlaps, start first', () => {
    const doc: WfDocument = { ...deliveryFlow(), nodes: deliveryFlow().nodes.map((n) => ({ ...n, position: { x: 0, y: 0 } })) };
    const pos = autoLayout(doc);
    expect(pos.size).toBe(doc.nodes.length);
    const ids = [...pos.keys()];
    for (let i = 0; i < ids.length; i++)
      for (let j = i + 1; j < ids.length; j++) expect(overlaps(pos.get(ids[i]!)!, pos.get(ids[j]!)!), `${ids[i]} / ${ids[j]}`).toBe(false);
    const x = (id: string) => pos.get(id)!.x;
    // Every edge goes rightwards: the layout reads from start to the end of each branch.
    for (const e of doc.edges) expect(x(e.target)).toBeGreaterThan(x(e.source));
    expect(Math.min(...[...pos.values()].map((p) => p.x))).toBe(x('start'));
    expect([...pos.values()].every((p) => Number.isInteger(p.x) && Number.isInteger(p.y))).toBe(true);
  });

  it('copes with loops, isolated nodes and measured sizes', () => {
    const doc = deliveryFlow();
    doc.nodes.push({ id: 'alone', type: 'message', position: { x: 5, y: 5 }, data: { text: 'x' } });
    doc.edges.push({ id: 'loop', source: 'ai_response_1', sourceHandle: 'out', target: 'search_1' });
    const sizes = new Map([['search_1', { width: 400, height: 200 }]]);
    const pos = autoLayout(doc, { sizes });
    expect(pos.size).toBe(doc.nodes.length);
    const s = pos.get('search_1')!;
    for (const [id, p] of pos) {
      if (id === 'search_1') continue;
      const clash = p.x < s.x + 400 && s.x < p.x + NODE_WIDTH && p.y < s.y + 200 && s.y < p.y + NODE_HEIGHT;
      expect(clash, id).toBe(false);
    }
  });
});

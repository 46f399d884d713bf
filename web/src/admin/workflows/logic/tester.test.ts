import { describe, expect, it } from 'vitest';
import { caseFromDialog, replyPrefix, suggestCaseName, withCase } from './testCases';
import { highlightOf, pathOf, stepsAt, turnMicros, type TestTurn } from './trace';
import { deliveryFlow } from './fixtures';
import { scopeOf, unknownNames, upstreamOf } from './scope';
import { CATALOGUE } from './fixtures';
import { stubSpecs } from './testerStubs';
import { addNode } from './graph';

const step = (node_id: string, node_type: string, branch?: string, micros = 10) => ({
  node_id,
  node_type,
  input: null,
  output: branch ? { branch } : {},
  micros,
});

function turn(over: Partial<TestTurn>): TestTurn {
  return { message: 'm', replies: [], outcome: 'ended', slots: {}, trace: [], ...over } as TestTurn;
}

const answered = turn({
  message: 'Сколько идёт доставка в Казань?',
  replies: ['Доставка по Казани занимает 2–3 дня, курьер звонит за час до приезда. Стоимость — от 300 ₽.'],
  intent: 'delivery',
  trace: [step('start', 'start', 'out'), step('intent_1', 'intent', 'delivery'), step('search_1', 'search', 'found', 500), step('ai_response_1', 'ai_response', 'out', 40)],
});

describe('the path on the graph', () => {
  it('lights the nodes run and the edges taken, by the branch each step left by', () => {
    const h = highlightOf(deliveryFlow(), [answered]);
    expect([...h.nodes.keys()]).toEqual(['start', 'intent_1', 'search_1', 'ai_response_1']);
    expect([...h.edges]).toEqual(['e_1', 'e_2', 'e_4']);
    expect(h.last).toBe('ai_response_1');
    expect(pathOf(answered)).toEqual(['start', 'intent_1', 'search_1', 'ai_response_1']);
    expect(turnMicros(answered)).toBe(560);
    expect(stepsAt([answered, answered], 'search_1').map((s) => s.turn)).toEqual([1, 2]);
  });

  it('does not light an edge the run did not take, and skips resume notes', () => {
    const handed = turn({
      trace: [{ ...step('gone', 'resume'), output: { note: 'x' } }, step('start', 'start', 'out'), step('intent_1', 'intent', 'fallback'), step('handoff_1', 'handoff')],
      outcome: 'handoff',
      handoff_reason: 'low_confidence',
    });
    const h = highlightOf(deliveryFlow(), [handed]);
    expect([...h.edges]).toEqual(['e_1', 'e_3']);
    expect(h.nodes.has('gone')).toBe(false);
  });
});

describe('save as test case', () => {
  it('records every turn’s outcome, intent, handoff, path and the start of its reply', () => {
    const handed = turn({ outcome: 'handoff', handoff_reason: 'customer_asked', replies: [] });
    const c = caseFromDialog('  Доставка в Казань ', ['Сколько идёт доставка в Казань?', 'позовите человека', 'unsent'], [answered, handed], [{ node: 'ai_response_1', reply: 'Доставка по Казани…' }]);
    expect(c).toEqual({
      name: 'Доставка в Казань',
      messages: ['Сколько идёт доставка в Казань?', 'позовите человека'],
      stubs: [{ node: 'ai_response_1', reply: 'Доставка по Казани…' }],
      expect: [
        { turn: 1, outcome: 'ended', intent: 'delivery', path: ['start', 'intent_1', 'search_1', 'ai_response_1'], reply_contains: 'Доставка по Казани занимает 2–3 дня, курьер звонит за час' },
        { turn: 2, outcome: 'handoff', handoff: 'customer_asked', path: [] },
      ],
    });
    expect(replyPrefix('  коротко ')).toBe('коротко');
    const suite = withCase([], c);
    expect(withCase(suite, { ...c, messages: ['x'] })).toHaveLength(1);
    expect(withCase(suite, { ...c, name: 'другой' })).toHaveLength(2);
    expect(suggestCaseName(suite, ['Доставка в Казань'])).toBe('Доставка в Казань (2)');
    expect(suggestCaseName([], [])).toBe('case');
  });

  it('stubs by node for the nodes still there', () => {
    let doc = deliveryFlow();
    doc = addNode(doc, CATALOGUE, 'action', { x: 0, y: 0 })!.doc;
    const specs = stubSpecs(doc, {
      actions: { action_1: { mode: 'canned', status: 200, body: '{"status": "в пути"}' }, gone: { mode: 'timeout' } },
      llm: { ai_response_1: { mode: 'canned', reply: 'Ответ' } },
    });
    expect(specs).toEqual([
      { node: 'ai_response_1', reply: 'Ответ' },
      { node: 'action_1', status: 200, body: { status: 'в пути' } },
    ]);
    expect(stubSpecs(doc, { actions: { action_1: { mode: 'canned', status: 500, body: 'oops' } }, llm: { ai_response_1: { mode: 'fail' } } })).toEqual([
      { node: 'ai_response_1', timeout: true },
      { node: 'action_1', status: 500, body: 'oops' },
    ]);
  });
});

describe('the names a template may use', () => {
  it('built-ins, slots, customer, and the variables of the nodes upstream only', () => {
    const doc = deliveryFlow();
    expect([...upstreamOf(doc, 'ai_response_1')].sort()).toEqual(['intent_1', 'search_1', 'start']);
    const names = scopeOf(doc, 'ai_response_1', CATALOGUE).map((s) => s.name);
    expect(names).toContain('text');
    expect(names).toContain('slots.order_number');
    expect(names).toContain('vars.search.0.text');
    expect(scopeOf(doc, 'search_1', CATALOGUE).map((s) => s.name)).not.toContain('vars.search.0.text');
    const scope = scopeOf(doc, 'ai_response_1', CATALOGUE);
    expect(unknownNames('Статья: {vars.search.1.title}, {customer.city}, {slots.order_number}', scope)).toEqual([]);
    expect(unknownNames('{vars.status} и {slots.passport}', scope)).toEqual(['vars.status', 'slots.passport']);
  });
});

import { describe, expect, it } from 'vitest';
import { dataOf, formOf, summaryOf, validatorMode, type NodeForm } from './forms';
import { CATALOGUE } from './fixtures';
import type { NodeType } from './document';
import { PALETTE_ORDER } from './catalogue';

const KINDS = CATALOGUE.slot_kinds;

/** For each type: data as an author might have saved it (UI fields included), and the form it reads as. */
const CASES: { [T in NodeType]: { data: Record<string, unknown>; form: Partial<NodeForm<T>> } } = {
  start: { data: { label: 'Начало' }, form: { label: 'Начало' } },
  intent: { data: { intents: ['order_status', 'delivery'] }, form: { intents: ['order_status', 'delivery'] } },
  confidence: { data: { threshold: 0.85 }, form: { threshold: 0.85 } },
  context: { data: { set: { order: '{slots.order_number}', greeting: 'Здравствуйте' } }, form: { set: [{ key: 'order', value: '{slots.order_number}' }, { key: 'greeting', value: 'Здравствуйте' }] } },
  search: {
    data: { category: 'delivery', top_k: 3, min_confidence: 0.4, query: '{text}', into: 'kb' },
    form: { category: 'delivery', top_k: 3, min_confidence: 0.4, query: '{text}', into: 'kb' },
  },
  ai_response: {
    data: { model: 'openai/gpt-5-mini', temperature: 0.7, max_tokens: 250, system_prompt: 'Ты вежливый помощник', grounded: true, search_var: 'kb' },
    form: { model: 'openai/gpt-5-mini', temperature: 0.7, max_tokens: 250, system_prompt: 'Ты вежливый помощник', grounded: true, search_var: 'kb' },
  },
  condition: { data: { expression: 'hour >= 9 && hour < 21' }, form: { expression: 'hour >= 9 && hour < 21' } },
  action: {
    data: {
      integration: 'shop',
      method: 'POST',
      url: '/orders/{slots.order_number}',
      headers: { 'X-Trace': '{channel}' },
      body: '{"order": "{slots.order_number}"}',
      timeout_ms: 3000,
      map: { status: '/status', eta: '/delivery/eta' },
    },
    form: {
      integration: 'shop',
      method: 'POST',
      headers: [{ key: 'X-Trace', value: '{channel}' }],
      map: [
        { key: 'status', value: '/status' },
        { key: 'eta', value: '/delivery/eta' },
      ],
      timeout_ms: 3000,
    },
  },
  ask: {
    data: { slot: 'order_number', question: 'Номер заказа?', retry_question: 'Шесть цифр, пожалуйста', validator: '^(\\d{6})$', max_retries: 3 },
    form: { slot: 'order_number', validator_mode: 'regex', validator: '^(\\d{6})$', max_retries: 3, reask: false },
  },
  message: { data: { text: 'Заказ {slots.order_number}: {vars.status}' }, form: { text: 'Заказ {slots.order_number}: {vars.status}' } },
  handoff: {
    data: { reason: 'topic_policy', queue: 'complaints', briefing_template: 'Жалоба: {text}', message: 'Передаю старшему' },
    form: { reason: 'topic_policy', queue: 'complaints', briefing_template: 'Жалоба: {text}', message: 'Передаю старшему' },
  },
  end: { data: { message: 'Хорошего дня!' }, form: { message: 'Хорошего дня!' } },
};

describe('forms ↔ data, for every node type', () => {
  it('covers every type of the palette', () => {
    expect(Object.keys(CASES).sort()).toEqual([...PALETTE_ORDER].sort());
  });

  for (const type of PALETTE_ORDER) {
    it(`${type}: saved data reads into its form and writes back unchanged, unknown keys kept`, () => {
      const c = CASES[type];
      const saved = { ...c.data, width_hint: 3, label: (c.data.label as string) ?? 'Шаг' };
      const form = formOf(type, saved, KINDS);
      expect(form).toMatchObject(c.form);
      expect(form.label).toBe(saved.label);
      expect(dataOf(type, form, saved)).toEqual(saved);
    });

    it(`${type}: the palette's starting data round-trips`, () => {
      const start = CATALOGUE.node_types.find((t) => t.type === type)!.data as Record<string, unknown>;
      expect(dataOf(type, formOf(type, start, KINDS), start)).toEqual(start);
    });
  }

  it('empty optional fields leave the data; defaults fill what is missing', () => {
    const search = formOf('search', {}, KINDS);
    expect(search).toEqual({ category: '', top_k: 4, min_confidence: 0.5, query: '', into: 'search', label: '' });
    expect(dataOf('search', { ...search, category: 'returns', into: ' ' })).toEqual({ category: 'returns', top_k: 4, min_confidence: 0.5, into: 'search' });
    const ai = formOf('ai_response', { model: 'openai/gpt-5', system_prompt: 'x' }, KINDS);
    expect(dataOf('ai_response', { ...ai, model: '  ' }, { model: 'openai/gpt-5', system_prompt: 'x' })).not.toHaveProperty('model');
    const action = formOf('action', { url: '/x', headers: { A: '1' }, map: { s: '/s' } }, KINDS);
    const cleared = dataOf('action', { ...action, headers: [{ key: ' ', value: 'ignored' }], map: [] }, {});
    expect(cleared).toEqual({ method: 'GET', url: '/x', timeout_ms: 5000 });
    expect(dataOf('handoff', formOf('handoff', { reason: 'customer_asked' }, KINDS))).toEqual({ reason: 'customer_asked' });
    expect(dataOf('end', formOf('end', {}, KINDS))).toEqual({});
    expect(dataOf('start', { ...formOf('start', { label: 'x' }), label: ' ' }, { label: 'x' })).toEqual({});
  });

  it('an Ask validator is the slot’s own kind, a named kind, or a regex', () => {
    expect(validatorMode('', KINDS)).toBe('auto');
    expect(validatorMode('phone', KINDS)).toBe('kind');
    expect(validatorMode('^\\d+$', KINDS)).toBe('regex');
    const ask = formOf('ask', { slot: 'phone', question: '?', validator: 'phone' }, KINDS);
    expect(ask.validator_mode).toBe('kind');
    // Back to "the slot's own kind": the validator leaves the data.
    expect(dataOf('ask', { ...ask, validator_mode: 'auto' })).toEqual({ slot: 'phone', question: '?', max_retries: 2 });
    // «Ask again even when known» round-trips, and is left out when off, as the engine writes it.
    const again = formOf('ask', { slot: 'order_number', question: '?', reask: true }, KINDS);
    expect(again.reask).toBe(true);
    expect(dataOf('ask', again)).toMatchObject({ reask: true });
    expect(dataOf('ask', { ...again, reask: false })).not.toHaveProperty('reask');
  });

  it('summaries say what a node does in a line', () => {
    expect(summaryOf('intent', CASES.intent.data)).toBe('order_status, delivery');
    expect(summaryOf('action', CASES.action.data)).toBe('POST /orders/{slots.order_number}');
    expect(summaryOf('confidence', {})).toBe('≥ 0.7');
    expect(summaryOf('start', {})).toBe('');
  });
});

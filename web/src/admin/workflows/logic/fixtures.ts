// A catalogue as GET /workflows/catalogue answers it for the demo bot (the engine's palette), and
// small documents, for the unit tests.
import type { Catalogue } from './catalogue';
import type { WfDocument } from './document';

export const CATALOGUE: Catalogue = {
  node_types: [
    { type: 'start', data: {}, outputs: ['out'], required_outputs: ['out'], outputs_per_intent: false },
    { type: 'intent', data: { intents: [] }, outputs: ['fallback'], required_outputs: ['fallback'], outputs_per_intent: true },
    { type: 'confidence', data: { threshold: 0.7 }, outputs: ['high', 'low'], required_outputs: ['high', 'low'], outputs_per_intent: false },
    { type: 'context', data: { set: {} }, outputs: ['out'], required_outputs: ['out'], outputs_per_intent: false },
    { type: 'search', data: { top_k: 4, min_confidence: 0.5, into: 'search' }, outputs: ['found', 'not_found'], required_outputs: ['found', 'not_found'], outputs_per_intent: false },
    {
      type: 'ai_response',
      data: { temperature: 0.3, max_tokens: 400, system_prompt: '', grounded: false, search_var: 'search' },
      outputs: ['out', 'error'],
      required_outputs: [],
      outputs_per_intent: false,
    },
    { type: 'condition', data: { expression: '' }, outputs: ['true', 'false'], required_outputs: ['true', 'false'], outputs_per_intent: false },
    { type: 'action', data: { method: 'GET', url: '', timeout_ms: 5000 }, outputs: ['ok', 'error', 'timeout'], required_outputs: ['ok'], outputs_per_intent: false },
    { type: 'ask', data: { slot: '', question: '', max_retries: 2 }, outputs: ['ok', 'failed'], required_outputs: ['ok'], outputs_per_intent: false },
    { type: 'message', data: { text: '' }, outputs: ['out'], required_outputs: [], outputs_per_intent: false },
    { type: 'handoff', data: { reason: 'topic_policy' }, outputs: [], required_outputs: [], outputs_per_intent: false },
    { type: 'end', data: {}, outputs: [], required_outputs: [], outputs_per_intent: false },
  ],
  intents: [
    { name: 'order_status', label: 'статус заказа', slots: ['order_number'] },
    { name: 'delivery', label: 'доставка', slots: [] },
    { name: 'returns', label: 'возврат', slots: [] },
  ],
  slots: ['amount', 'date', 'email', 'order_number', 'phone'],
  slot_kinds: ['order_number', 'phone', 'email', 'date', 'amount'],
  handoff_reasons: ['low_confidence', 'customer_asked', 'topic_policy', 'action_failed', 'repeated_clarify', 'llm_unavailable', 'bot_error'],
  http_methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
  names: ['text', 'channel', 'intent', 'confidence', 'hour', 'minute', 'weekday', 'date'],
  template: { name: 'Демо-магазин', document: { version: 1, nodes: [], edges: [] }, tests: [] },
};

/** Start → Intent (delivery | fallback) → Search → AI Response, Handoff for the rest. */
export function deliveryFlow(): WfDocument {
  return {
    version: 1,
    viewport: { x: 0, y: 0, zoom: 1 },
    nodes: [
      { id: 'start', type: 'start', position: { x: 0, y: 0 }, data: {} },
      { id: 'intent_1', type: 'intent', position: { x: 250, y: 0 }, data: { intents: ['delivery'] } },
      { id: 'search_1', type: 'search', position: { x: 500, y: 0 }, data: { category: 'delivery', top_k: 3, min_confidence: 0.3, into: 'search' } },
      { id: 'ai_response_1', type: 'ai_response', position: { x: 750, y: 0 }, data: { system_prompt: 'Отвечай по статье', grounded: true, temperature: 0.3, max_tokens: 400, search_var: 'search' } },
      { id: 'handoff_1', type: 'handoff', position: { x: 500, y: 200 }, data: { reason: 'low_confidence' } },
    ],
    edges: [
      { id: 'e_1', source: 'start', target: 'intent_1' },
      { id: 'e_2', source: 'intent_1', sourceHandle: 'delivery', target: 'search_1' },
      { id: 'e_3', source: 'intent_1', sourceHandle: 'fallback', target: 'handoff_1' },
      { id: 'e_4', source: 'search_1', sourceHandle: 'found', target: 'ai_response_1' },
      { id: 'e_5', source: 'search_1', sourceHandle: 'not_found', target: 'handoff_1' },
    ],
  };
}

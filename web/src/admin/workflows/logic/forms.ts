// The settings panel edits a node through a form of plain fields (text, numbers, rows of key and
// value), never raw JSON. `formOf` reads a node's `data` into its form, filling the engine's
// defaults; `dataOf` writes a form back, leaving out optional fields that are empty and keeping
// every key the form does not know (another editor's, a future field) untouched.
import type { NodeData, NodeType } from './document';

export interface Row {
  key: string;
  value: string;
}

export type ValidatorMode = 'auto' | 'kind' | 'regex';

export interface Forms {
  start: object;
  intent: { intents: string[] };
  confidence: { threshold: number };
  context: { set: Row[] };
  search: { category: string; top_k: number; min_confidence: number; query: string; into: string };
  ai_response: { model: string; temperature: number; max_tokens: number; system_prompt: string; grounded: boolean; search_var: string };
  condition: { expression: string };
  action: { integration: string; method: string; url: string; headers: Row[]; body: string; timeout_ms: number; map: Row[] };
  ask: { slot: string; question: string; retry_question: string; validator_mode: ValidatorMode; validator: string; max_retries: number; reask: boolean };
  message: { text: string };
  handoff: { reason: string; queue: string; briefing_template: string; message: string };
  end: { message: string };
}

/** A node's form: its type's fields plus the label shown on the canvas. */
export type NodeForm<T extends NodeType = NodeType> = Forms[T] & { label: string };

/** The data keys each form owns; everything else in `data` is carried through. */
const OWNED: { [T in NodeType]: string[] } = {
  start: [],
  intent: ['intents'],
  confidence: ['threshold'],
  context: ['set'],
  search: ['category', 'top_k', 'min_confidence', 'query', 'into'],
  ai_response: ['model', 'temperature', 'max_tokens', 'system_prompt', 'grounded', 'search_var'],
  condition: ['expression'],
  action: ['integration', 'method', 'url', 'headers', 'body', 'timeout_ms', 'map'],
  ask: ['slot', 'question', 'retry_question', 'validator', 'max_retries', 'reask'],
  message: ['text'],
  handoff: ['reason', 'queue', 'briefing_template', 'message'],
  end: ['message'],
};

const str = (v: unknown, d = ''): string => (typeof v === 'string' ? v : d);
const num = (v: unknown, d: number): number => (typeof v === 'number' && Number.isFinite(v) ? v : d);
const rows = (v: unknown): Row[] =>
  v && typeof v === 'object' && !Array.isArray(v) ? Object.entries(v as Record<string, unknown>).map(([key, value]) => ({ key, value: str(value, JSON.stringify(value)) })) : [];
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/** The slot kinds an Ask validator may name (the rest of the strings are regexes). */
export function validatorMode(validator: string, slotKinds: readonly string[]): ValidatorMode {
  if (!validator) return 'auto';
  return slotKinds.includes(validator) ? 'kind' : 'regex';
}

export function formOf<T extends NodeType>(type: T, data: NodeData, slotKinds: readonly string[] = []): NodeForm<T> {
  const label = str(data.label);
  const d = data;
  const forms: { [K in NodeType]: () => Forms[K] } = {
    start: () => ({}),
    intent: () => ({ intents: strings(d.intents) }),
    confidence: () => ({ threshold: num(d.threshold, 0.7) }),
    context: () => ({ set: rows(d.set) }),
    search: () => ({
      category: str(d.category),
      top_k: num(d.top_k, 4),
      min_confidence: num(d.min_confidence, 0.5),
      query: str(d.query),
      into: str(d.into, 'search'),
    }),
    ai_response: () => ({
      model: str(d.model),
      temperature: num(d.temperature, 0.3),
      max_tokens: num(d.max_tokens, 400),
      system_prompt: str(d.system_prompt),
      grounded: d.grounded === true,
      search_var: str(d.search_var, 'search'),
    }),
    condition: () => ({ expression: str(d.expression) }),
    action: () => ({
      integration: str(d.integration),
      method: str(d.method, 'GET').toUpperCase(),
      url: str(d.url),
      headers: rows(d.headers),
      body: str(d.body),
      timeout_ms: num(d.timeout_ms, 5000),
      map: rows(d.map),
    }),
    ask: () => ({
      slot: str(d.slot),
      question: str(d.question),
      retry_question: str(d.retry_question),
      validator_mode: validatorMode(str(d.validator), slotKinds),
      validator: str(d.validator),
      max_retries: num(d.max_retries, 2),
      reask: d.reask === true,
    }),
    message: () => ({ text: str(d.text) }),
    handoff: () => ({ reason: str(d.reason, 'topic_policy'), queue: str(d.queue), briefing_template: str(d.briefing_template), message: str(d.message) }),
    end: () => ({ message: str(d.message) }),
  };
  return { ...(forms[type]() as Forms[T]), label };
}

/** Rows as a map; blank keys are left out, a repeated key keeps its last value. */
function toMap(r: Row[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const { key, value } of r) if (key.trim()) out[key.trim()] = value;
  return out;
}

export function dataOf<T extends NodeType>(type: T, form: NodeForm<T>, previous: NodeData = {}): NodeData {
  const out: NodeData = {};
  for (const [k, v] of Object.entries(previous)) if (!OWNED[type].includes(k) && k !== 'label') out[k] = v;
  const optional = (key: string, value: string) => {
    if (value.trim()) out[key] = value;
  };
  const f = form as unknown as Forms[NodeType] & { label: string };
  switch (type) {
    case 'start':
      break;
    case 'intent':
      out.intents = [...(f as Forms['intent']).intents];
      break;
    case 'confidence':
      out.threshold = (f as Forms['confidence']).threshold;
      break;
    case 'context':
      out.set = toMap((f as Forms['context']).set);
      break;
    case 'search': {
      const s = f as Forms['search'];
      optional('category', s.category);
      out.top_k = s.top_k;
      out.min_confidence = s.min_confidence;
      optional('query', s.query);
      out.into = s.into.trim() || 'search';
      break;
    }
    case 'ai_response': {
      const a = f as Forms['ai_response'];
      optional('model', a.model.trim());
      out.temperature = a.temperature;
      out.max_tokens = a.max_tokens;
      out.system_prompt = a.system_prompt;
      out.grounded = a.grounded;
      out.search_var = a.search_var.trim() || 'search';
      break;
    }
    case 'condition':
      out.expression = (f as Forms['condition']).expression;
      break;
    case 'action': {
      const a = f as Forms['action'];
      optional('integration', a.integration);
      out.method = a.method.toUpperCase();
      out.url = a.url;
      const headers = toMap(a.headers);
      if (Object.keys(headers).length) out.headers = headers;
      optional('body', a.body);
      out.timeout_ms = a.timeout_ms;
      const map = toMap(a.map);
      if (Object.keys(map).length) out.map = map;
      break;
    }
    case 'ask': {
      const a = f as Forms['ask'];
      out.slot = a.slot;
      out.question = a.question;
      optional('retry_question', a.retry_question);
      if (a.validator_mode !== 'auto') optional('validator', a.validator);
      out.max_retries = a.max_retries;
      // Written only when on, as the engine writes it.
      if (a.reask) out.reask = true;
      break;
    }
    case 'message':
      out.text = (f as Forms['message']).text;
      break;
    case 'handoff': {
      const h = f as Forms['handoff'];
      out.reason = h.reason;
      optional('queue', h.queue);
      optional('briefing_template', h.briefing_template);
      optional('message', h.message);
      break;
    }
    case 'end':
      optional('message', (f as Forms['end']).message);
      break;
  }
  if (f.label.trim()) out.label = f.label.trim();
  return out;
}

/** What a node says about itself on the canvas, under its title. */
export function summaryOf(type: string, data: NodeData): string {
  const s = (k: string) => str(data[k]);
  switch (type) {
    case 'intent':
      return strings(data.intents).join(', ');
    case 'confidence':
      return `≥ ${num(data.threshold, 0.7)}`;
    case 'context':
      return Object.keys((data.set as object) ?? {}).join(', ');
    case 'search':
      return s('category') || '';
    case 'ai_response':
      return s('model');
    case 'condition':
      return s('expression');
    case 'action':
      return `${str(data.method, 'GET')} ${s('url')}`.trim();
    case 'ask':
      return s('question') || s('slot');
    case 'message':
      return s('text');
    case 'handoff':
      return s('message') || s('reason');
    case 'end':
      return s('message');
    default:
      return '';
  }
}

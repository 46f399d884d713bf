// The bot configuration (`bot.json`, the engine's BotConfig) as the editor holds it: the document
// exactly as loaded, read through tolerant accessors and changed only by the helpers below, each
// of which touches one field and copies everything else as it was — keys the editor has no input
// for (schedule, briefing_template, trigger_priority, fields of a newer engine…) reach the server
// unchanged. Defaults mirror crates/frontline-engine/src/bot/config.rs.

export type BotDocument = Record<string, unknown>;
export type IntentDocument = Record<string, unknown>;

export const REQUEST_TYPES = ['status_check', 'data_change', 'faq', 'complaint', 'urgent', 'other'] as const;
export type RequestType = (typeof REQUEST_TYPES)[number];
export const SLOTS = ['order_number', 'phone', 'email', 'date', 'amount'] as const;
export const ANSWER_KINDS = ['text', 'knowledge', 'handoff'] as const;
export type AnswerKind = (typeof ANSWER_KINDS)[number];

/** The texts of the conversation; the optional ones have an engine default when absent. */
export const TEXT_FIELDS = ['fallback', 'fallback_again', 'handoff_message', 'upset_message', 'urgent_message', 'attachment_reply'] as const;
export type TextField = (typeof TEXT_FIELDS)[number];
/** Texts the engine requires: cleared, they stay as `""` (and the server says it is empty). */
export const REQUIRED_TEXTS: readonly TextField[] = ['fallback', 'handoff_message', 'attachment_reply'];

/** What the engine says when an optional text is absent (config.rs `default_*`). */
export const TEXT_DEFAULTS: Partial<Record<TextField, string>> = {
  fallback_again:
    'Боюсь, с этим я не помогу. Если появится вопрос о заказе, доставке, оплате, возврате или гарантии — пишите, я на связи.',
  upset_message: 'Понимаю, как это неприятно, и прошу прощения. Сразу передаю ваше обращение оператору — он ответит здесь в ближайшее время.',
  urgent_message: 'Понимаю, что это срочно. Сразу подключаю оператора — он ответит в течение нескольких минут.',
};

export const DEFAULTS = {
  max_clarify: 2,
  max_fallbacks: 1,
  knowledge: { top_k: 4, answer_threshold: 0.5, direct_threshold: 0.75 },
} as const;
export type KnowledgeKey = keyof typeof DEFAULTS.knowledge;

/** RequestType::default_threshold. */
export const TYPE_THRESHOLDS: Record<RequestType, number> = {
  status_check: 0.6,
  faq: 0.7,
  data_change: 0.85,
  complaint: 0.5,
  urgent: 0.4,
  other: 0.75,
};

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
export const str = (v: unknown): string => (typeof v === 'string' ? v : '');
export const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
export const strList = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/** `obj` with `key` set, or removed when `value` is undefined; other keys keep their order. */
export function withKey<T extends Record<string, unknown>>(obj: T, key: string, value: unknown): T {
  if (value === undefined) {
    if (!(key in obj)) return obj;
    const { [key]: _gone, ...rest } = obj;
    return rest as T;
  }
  if (obj[key] === value) return obj;
  return { ...obj, [key]: value };
}

/** A top-level field set (undefined: removed, so the engine's default applies). */
export const setField = (doc: BotDocument, key: string, value: unknown): BotDocument => withKey(doc, key, value);

// --- reading ---------------------------------------------------------------------------------

/** The intents, index for index as in the document (what is not an object reads as empty). */
export function intentsOf(doc: BotDocument): IntentDocument[] {
  return Array.isArray(doc.intents) ? doc.intents.map((x) => (isObject(x) ? x : {})) : [];
}

export const knowledgeOf = (doc: BotDocument): Record<string, unknown> => (isObject(doc.knowledge) ? doc.knowledge : {});

export function knowledgeValue(doc: BotDocument, key: KnowledgeKey): number {
  return num(knowledgeOf(doc)[key]) ?? DEFAULTS.knowledge[key];
}

export const countValue = (doc: BotDocument, key: 'max_clarify' | 'max_fallbacks'): number => num(doc[key]) ?? DEFAULTS[key];

export function answerOf(intent: IntentDocument): { kind: string; text: string; category: string; message: string } {
  const a = isObject(intent.answer) ? intent.answer : {};
  return { kind: str(a.kind), text: str(a.text), category: str(a.category), message: str(a.message) };
}

export const isRequestType = (v: string): v is RequestType => (REQUEST_TYPES as readonly string[]).includes(v);

/**
 * The confidence an intent needs (BotConfig::threshold_of): its own threshold, else the global
 * `confidence_threshold` unless it is a complaint or urgent, else its request type's default.
 */
export function effectiveThreshold(doc: BotDocument, intent: IntentDocument): number {
  const type = str(intent.request_type);
  const rt: RequestType = isRequestType(type) ? type : 'other';
  const own = num(intent.threshold);
  if (own !== null) return own;
  const global = num(doc.confidence_threshold);
  if (global !== null && rt !== 'complaint' && rt !== 'urgent') return global;
  return TYPE_THRESHOLDS[rt];
}

// --- lines (examples, triggers, out-of-scope) ------------------------------------------------

/** A textarea's text as a list: one entry a line, trimmed, blank lines dropped. */
export function cleanLines(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
}

export const linesText = (list: readonly string[]): string => list.join('\n');

// --- changing --------------------------------------------------------------------------------

/** `knowledge.{key}` set (undefined: removed); the other knowledge settings stay as they were. */
export function setKnowledge(doc: BotDocument, key: KnowledgeKey, value: number | undefined): BotDocument {
  const had = isObject(doc.knowledge);
  const next = withKey(knowledgeOf(doc), key, value);
  if (!had && Object.keys(next).length === 0) return doc;
  return setField(doc, 'knowledge', next);
}

/** Intent `index` with `key` set (undefined: removed); its other fields and the other intents unchanged. */
export function setIntentField(doc: BotDocument, index: number, key: string, value: unknown): BotDocument {
  if (!Array.isArray(doc.intents) || index < 0 || index >= doc.intents.length) return doc;
  const before = doc.intents[index];
  const intent = isObject(before) ? before : {};
  const next = withKey(intent, key, value);
  if (next === before) return doc;
  const intents = doc.intents.slice();
  intents[index] = next;
  return { ...doc, intents };
}

/** A slot ticked (appended, so it is asked last) or unticked; unknown slots in the list stay. */
export function toggleSlot(doc: BotDocument, index: number, slot: string, on: boolean): BotDocument {
  const intent = intentsOf(doc)[index];
  if (!intent) return doc;
  const slots = strList(intent.slots);
  const has = slots.includes(slot);
  if (on === has) return doc;
  const next = on ? [...slots, slot] : slots.filter((s) => s !== slot);
  return setIntentField(doc, index, 'slots', next);
}

/**
 * The answer turned into another kind. The engine refuses fields of another kind, so the new
 * answer has only its own: a text carries over as a handoff's message and back.
 */
export function setAnswerKind(doc: BotDocument, index: number, kind: AnswerKind): BotDocument {
  const intent = intentsOf(doc)[index];
  if (!intent) return doc;
  const a = answerOf(intent);
  if (a.kind === kind) return doc;
  const carried = a.kind === 'text' ? a.text : a.kind === 'handoff' ? a.message : '';
  let answer: Record<string, unknown>;
  if (kind === 'text') answer = { kind, text: carried };
  else if (kind === 'handoff') answer = carried.trim() ? { kind, message: carried } : { kind };
  else answer = { kind };
  return setIntentField(doc, index, 'answer', answer);
}

/** One field of the answer (`text`, `category`, `message`); empty optional ones are removed. */
export function setAnswerField(doc: BotDocument, index: number, key: 'text' | 'category' | 'message', value: string): BotDocument {
  const intent = intentsOf(doc)[index];
  if (!intent) return doc;
  const answer = isObject(intent.answer) ? intent.answer : { kind: 'text' };
  const keep = key === 'text' ? value : value.trim() ? value : undefined;
  return setIntentField(doc, index, 'answer', withKey(answer, key, keep));
}

/** A name no intent has: `new_intent`, `new_intent_2`, … */
export function freshIntentName(doc: BotDocument, base = 'new_intent'): string {
  const names = new Set(intentsOf(doc).map((i) => str(i.name)));
  if (!names.has(base)) return base;
  for (let n = 2; ; n++) if (!names.has(`${base}_${n}`)) return `${base}_${n}`;
}

/** A new intent at the end (a knowledge-base FAQ with no examples yet) and its index. */
export function addIntent(doc: BotDocument): { doc: BotDocument; index: number } {
  const intents = Array.isArray(doc.intents) ? doc.intents.slice() : [];
  intents.push({ name: freshIntentName(doc), label: '', request_type: 'faq', triggers: [], examples: [], answer: { kind: 'knowledge' } });
  return { doc: { ...doc, intents }, index: intents.length - 1 };
}

export function removeIntent(doc: BotDocument, index: number): BotDocument {
  if (!Array.isArray(doc.intents) || index < 0 || index >= doc.intents.length) return doc;
  return { ...doc, intents: doc.intents.filter((_, i) => i !== index) };
}

/** A number typed into an input: empty is "not set", anything else must parse. */
export function parseNumber(text: string): number | null | 'invalid' {
  const t = text.trim().replace(',', '.');
  if (t === '') return null;
  const n = Number(t);
  return Number.isFinite(n) ? n : 'invalid';
}

/** Two documents with the same content (key order included: the helpers keep it). */
export const sameDocument = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

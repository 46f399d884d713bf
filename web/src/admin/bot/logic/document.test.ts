import { describe, expect, it } from 'vitest';
import {
  addIntent,
  answerOf,
  cleanLines,
  countValue,
  effectiveThreshold,
  freshIntentName,
  intentsOf,
  knowledgeValue,
  linesText,
  parseNumber,
  removeIntent,
  sameDocument,
  setAnswerField,
  setAnswerKind,
  setField,
  setIntentField,
  setKnowledge,
  toggleSlot,
  type BotDocument,
} from './document';

/** A document like demo.json, with fields the editor has no input for. */
const doc = (): BotDocument => ({
  name: 'demo-shop',
  utc_offset_minutes: 180,
  fallback: 'Я помогаю с заказами.',
  handoff_message: 'Передаю оператору.',
  attachment_reply: 'Получил вложение.',
  max_clarify: 2,
  after_fallbacks: 'handoff',
  schedule: { utc_offset_minutes: 180, week: { mon: '10:00-22:00' }, exceptions: [{ date: '2026-01-01', note: 'Новый год' }] },
  briefing_template: '{summary}',
  knowledge: { top_k: 4, answer_threshold: 0.3 },
  out_of_scope_examples: ['какая погода'],
  intents: [
    {
      name: 'order_status',
      label: 'статус заказа',
      request_type: 'status_check',
      slots: ['order_number'],
      triggers: ['где заказ'],
      trigger_priority: 10,
      clarify: 'Вы о заказе?',
      examples: ['где мой заказ', 'статус заказа', 'когда привезут'],
      answer: { kind: 'handoff', message: 'Номер {order_number} записал.' },
    },
    {
      name: 'payment',
      label: 'оплата',
      request_type: 'faq',
      examples: ['как оплатить', 'можно картой', 'наличными можно'],
      answer: { kind: 'knowledge', category: 'payment' },
    },
    { name: 'complaint', label: 'жалоба', request_type: 'complaint', examples: ['ужасно', 'верните деньги', 'жалоба'], answer: { kind: 'handoff' } },
  ],
});

describe('editing the document keeps what the editor does not touch', () => {
  it('a top-level field: set, or removed for the default; the rest and the key order unchanged', () => {
    const before = doc();
    const set = setField(before, 'confidence_threshold', 0.8);
    expect(set.confidence_threshold).toBe(0.8);
    expect(set.schedule).toBe(before.schedule);
    expect(set.intents).toBe(before.intents);
    expect(Object.keys(set).slice(0, -1)).toEqual(Object.keys(before));
    const changed = setField(before, 'max_clarify', 0);
    expect(Object.keys(changed)).toEqual(Object.keys(before));
    const cleared = setField(set, 'confidence_threshold', undefined);
    expect(sameDocument(cleared, before)).toBe(true);
    expect(before, 'the original is never changed').toEqual(doc());
  });

  it('one knowledge setting; the others stay, defaults read where absent', () => {
    const d = setKnowledge(doc(), 'direct_threshold', 0.9);
    expect(d.knowledge).toEqual({ top_k: 4, answer_threshold: 0.3, direct_threshold: 0.9 });
    expect(knowledgeValue(d, 'answer_threshold')).toBe(0.3);
    const bare = setField(doc(), 'knowledge', undefined);
    expect(knowledgeValue(bare, 'direct_threshold')).toBe(0.75);
    expect(setKnowledge(bare, 'top_k', undefined)).toBe(bare);
    expect(setKnowledge(bare, 'top_k', 6).knowledge).toEqual({ top_k: 6 });
    expect(countValue(bare, 'max_fallbacks')).toBe(1);
  });

  it("one intent's field: its trigger_priority, clarify and the other intents stay as they were", () => {
    const before = doc();
    const d = setIntentField(before, 0, 'examples', ['где заказ']);
    const [first, second] = intentsOf(d);
    expect(first!.examples).toEqual(['где заказ']);
    expect(first!.trigger_priority).toBe(10);
    expect(first!.clarify).toBe('Вы о заказе?');
    expect(first!.answer).toEqual({ kind: 'handoff', message: 'Номер {order_number} записал.' });
    expect(second).toBe((before.intents as unknown[])[1]);
    expect(d.schedule).toBe(before.schedule);
    expect(setIntentField(before, 0, 'threshold', undefined), 'removing what is not there changes nothing').toBe(before);
    expect(setIntentField(before, 7, 'label', 'x')).toBe(before);
  });

  it('slots tick on at the end and off, unknown ones kept for the server to name', () => {
    let d = setIntentField(doc(), 0, 'slots', ['order_number', 'passport']);
    d = toggleSlot(d, 0, 'phone', true);
    expect(intentsOf(d)[0]!.slots).toEqual(['order_number', 'passport', 'phone']);
    d = toggleSlot(d, 0, 'order_number', false);
    expect(intentsOf(d)[0]!.slots).toEqual(['passport', 'phone']);
    expect(toggleSlot(d, 0, 'phone', true)).toBe(d);
    expect(intentsOf(toggleSlot(doc(), 1, 'email', true))[1]!.slots).toEqual(['email']);
  });

  it('the answer changes kind with only its own fields (the engine refuses others); a text carries over', () => {
    let d = setAnswerKind(doc(), 0, 'text');
    expect(intentsOf(d)[0]!.answer).toEqual({ kind: 'text', text: 'Номер {order_number} записал.' });
    d = setAnswerKind(d, 0, 'knowledge');
    expect(intentsOf(d)[0]!.answer).toEqual({ kind: 'knowledge' });
    d = setAnswerField(d, 0, 'category', 'delivery');
    expect(intentsOf(d)[0]!.answer).toEqual({ kind: 'knowledge', category: 'delivery' });
    d = setAnswerField(d, 0, 'category', '');
    expect(intentsOf(d)[0]!.answer).toEqual({ kind: 'knowledge' });
    d = setAnswerKind(d, 0, 'handoff');
    expect(intentsOf(d)[0]!.answer).toEqual({ kind: 'handoff' });
    d = setAnswerField(d, 0, 'message', 'Соединяю');
    expect(answerOf(intentsOf(d)[0]!)).toEqual({ kind: 'handoff', text: '', category: '', message: 'Соединяю' });
    d = setAnswerKind(setAnswerKind(d, 0, 'text'), 0, 'text');
    expect(intentsOf(d)[0]!.answer).toEqual({ kind: 'text', text: 'Соединяю' });
    expect(intentsOf(setAnswerField(d, 0, 'text', ''))[0]!.answer, 'a cleared text stays, for the server to call it empty').toEqual({ kind: 'text', text: '' });
  });

  it('an intent added with a fresh name, and removed; the others in their places', () => {
    const { doc: d, index } = addIntent(doc());
    expect(index).toBe(3);
    expect(intentsOf(d)[3]).toMatchObject({ name: 'new_intent', request_type: 'faq', examples: [], answer: { kind: 'knowledge' } });
    expect(freshIntentName(d)).toBe('new_intent_2');
    const gone = removeIntent(d, 1);
    expect(intentsOf(gone).map((i) => i.name)).toEqual(['order_status', 'complaint', 'new_intent']);
    expect(gone.schedule).toBe(d.schedule);
    expect(removeIntent(gone, 9)).toBe(gone);
  });

  it('a document saved after edits has every field it came with', () => {
    const before = doc();
    let d = setField(before, 'confidence_threshold', 0.95);
    d = setField(d, 'max_clarify', 0);
    d = setField(d, 'max_fallbacks', 0);
    d = setIntentField(d, 1, 'threshold', 0.8);
    const sent = JSON.parse(JSON.stringify(d)) as BotDocument;
    for (const k of Object.keys(before)) if (k !== 'intents' && k !== 'max_clarify') expect(sent[k], k).toEqual(before[k]);
    expect(intentsOf(sent)[0]).toEqual(intentsOf(before)[0]);
  });
});

describe('reading the document', () => {
  it('the threshold an intent needs: its own, else the global one unless complaint/urgent, else its type default', () => {
    const d = doc();
    const [order, payment, complaint] = intentsOf(d);
    expect(effectiveThreshold(d, order!)).toBe(0.6);
    expect(effectiveThreshold(d, payment!)).toBe(0.7);
    const strict = setField(d, 'confidence_threshold', 0.9);
    expect(effectiveThreshold(strict, payment!)).toBe(0.9);
    expect(effectiveThreshold(strict, complaint!)).toBe(0.5);
    expect(effectiveThreshold(strict, { ...payment!, threshold: 0.65 })).toBe(0.65);
    expect(effectiveThreshold(d, { request_type: 'nonsense' })).toBe(0.75);
  });

  it('lines: one a line, trimmed, blank ones dropped', () => {
    expect(cleanLines(' где заказ \n\n  статус\n')).toEqual(['где заказ', 'статус']);
    expect(cleanLines('')).toEqual([]);
    expect(linesText(['a', 'b'])).toBe('a\nb');
  });

  it('numbers typed: empty is unset, a comma is a decimal point, garbage is invalid', () => {
    expect(parseNumber('')).toBeNull();
    expect(parseNumber(' 0,85 ')).toBe(0.85);
    expect(parseNumber('2')).toBe(2);
    expect(parseNumber('abc')).toBe('invalid');
  });

  it('odd documents read without failing', () => {
    expect(intentsOf({})).toEqual([]);
    expect(intentsOf({ intents: [1, { name: 'x' }] })).toEqual([{}, { name: 'x' }]);
    expect(answerOf({ answer: 'text' })).toEqual({ kind: '', text: '', category: '', message: '' });
  });
});

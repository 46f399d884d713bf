import { describe, expect, it } from 'vitest';
import i18n from '../../../shared/i18n';
import { concerns, intentsWithProblems, parseField, problemText, problemsAfterRemoval, problemsAt, problemsOfIntent, type Problem } from './problems';

const refused: Problem[] = [
  { field: 'intents[0].examples', message: 'at least 3 examples are needed' },
  { field: 'intents[2].name', message: 'duplicate intent name `payment`' },
  { field: 'intents[2].answer.text', message: 'answer text is empty' },
  { field: 'intents[10].slots', message: 'unknown slot `passport` (order_number, phone, email, date, amount)' },
  { field: 'knowledge.top_k', message: 'must be at least 1' },
  { field: 'confidence_threshold', message: 'must be within [0, 1]' },
  { field: '', message: 'line 2, column 11: unknown field `fallbak`' },
];

describe('a problem at its field', () => {
  it('field paths map to the intent index and the field inside it', () => {
    expect(parseField('intents[2].examples')).toEqual({ intent: 2, rest: 'examples' });
    expect(parseField('intents[12].answer.text')).toEqual({ intent: 12, rest: 'answer.text' });
    expect(parseField('intents[3]')).toEqual({ intent: 3, rest: '' });
    expect(parseField('intents')).toEqual({ intent: null, rest: 'intents' });
    expect(parseField('knowledge.top_k')).toEqual({ intent: null, rest: 'knowledge.top_k' });
    expect(parseField('confidence_threshold')).toEqual({ intent: null, rest: 'confidence_threshold' });
    expect(parseField('')).toEqual({ intent: null, rest: '' });
    expect(parseField('intents[x].name')).toEqual({ intent: null, rest: 'intents[x].name' });
  });

  it('which intent cards and which inputs a refusal lights up', () => {
    expect([...intentsWithProblems(refused)].sort((a, b) => a - b)).toEqual([0, 2, 10]);
    expect(problemsOfIntent(refused, 2).map((p) => p.field)).toEqual(['intents[2].name', 'intents[2].answer.text']);
    expect(problemsOfIntent(refused, 1)).toEqual([]);
    expect(problemsAt(refused, 'intents[0].examples')).toHaveLength(1);
    expect(problemsAt(refused, 'intents[0].name')).toHaveLength(0);
    expect(refused.filter((p) => concerns(p, ['knowledge'])).map((p) => p.field)).toEqual(['knowledge.top_k']);
  });

  it('a removed intent takes its problems with it; those after it move up a place', () => {
    const after = problemsAfterRemoval(refused, 2);
    expect(after.map((p) => p.field)).toEqual(['intents[0].examples', 'intents[9].slots', 'knowledge.top_k', 'confidence_threshold', '']);
    expect(problemsAfterRemoval([{ field: 'intents[4]', message: 'x' }], 1)).toEqual([{ field: 'intents[3]', message: 'x' }]);
  });

  it("the engine's words in Russian; what the editor does not know stays as the server said it", () => {
    const t = i18n.getFixedT('ru');
    expect(refused.map((p) => problemText(t, p.message))).toEqual([
      'Нужно не меньше 3 примеров',
      'Намерение с именем «payment» уже есть',
      'Текст ответа пуст',
      'Неизвестное значение «passport»',
      'Должно быть не меньше 1',
      'Должно быть от 0 до 1',
      'line 2, column 11: unknown field `fallbak`',
    ]);
  });
});

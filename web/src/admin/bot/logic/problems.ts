// Where a problem of the configuration is shown: the server names its field (`intents[2].examples`,
// `knowledge.top_k`, `confidence_threshold`; empty for the document as a whole), the editor maps
// that to the intent card and the input, and says it in Russian when it knows the engine's words.

export interface Problem {
  field: string;
  message: string;
}

export interface FieldPath {
  /** The intent the field belongs to, when it is one of `intents[i]…`. */
  intent: number | null;
  /** The rest: `examples`, `answer.text`; or the whole path outside the intents. */
  rest: string;
}

const INTENT_FIELD = /^intents\[(\d+)\](?:\.(.*))?$/;

export function parseField(field: string): FieldPath {
  const m = INTENT_FIELD.exec(field.trim());
  if (m) return { intent: Number(m[1]), rest: m[2] ?? '' };
  return { intent: null, rest: field.trim() };
}

export const intentField = (index: number, rest: string): string => `intents[${index}].${rest}`;

/** The problems at exactly `field`. */
export const problemsAt = (problems: readonly Problem[], field: string): Problem[] => problems.filter((p) => p.field === field);

/** The problems of intent `index`, any of its fields. */
export const problemsOfIntent = (problems: readonly Problem[], index: number): Problem[] => problems.filter((p) => parseField(p.field).intent === index);

/** The indexes of the intents with a problem. */
export function intentsWithProblems(problems: readonly Problem[]): Set<number> {
  const out = new Set<number>();
  for (const p of problems) {
    const i = parseField(p.field).intent;
    if (i !== null) out.add(i);
  }
  return out;
}

/** Whether a problem's field is one of `fields` (top-level or `knowledge.*`, by prefix). */
export const concerns = (p: Problem, fields: readonly string[]): boolean => fields.some((f) => p.field === f || p.field.startsWith(`${f}.`));

/**
 * The problems once intent `removed` is gone: its own dropped, those of the intents after it
 * moved one place up, so each stays at the card it was about.
 */
export function problemsAfterRemoval(problems: readonly Problem[], removed: number): Problem[] {
  const out: Problem[] = [];
  for (const p of problems) {
    const { intent, rest } = parseField(p.field);
    if (intent === null || intent < removed) out.push(p);
    else if (intent > removed) out.push({ ...p, field: rest ? intentField(intent - 1, rest) : `intents[${intent - 1}]` });
  }
  return out;
}

type T = (key: string, options?: Record<string, unknown>) => string;

/** The engine's messages (config.rs `validate`) the editor says in Russian; others as they are. */
const KNOWN: readonly [RegExp, string, (m: RegExpExecArray) => Record<string, unknown>][] = [
  [/^at least (\d+) examples are needed$/, 'bot.problem.examples', (m) => ({ n: m[1] })],
  [/^at least two intents are needed$/, 'bot.problem.twoIntents', () => ({})],
  [/^must be within \[0, 1\]$/, 'bot.problem.unit', () => ({})],
  [/^must be at least 1$/, 'bot.problem.atLeastOne', () => ({})],
  [/^is empty$/, 'bot.problem.empty', () => ({})],
  [/^answer text is empty$/, 'bot.problem.answerEmpty', () => ({})],
  [/^duplicate intent name `(.*)`$/, 'bot.problem.duplicate', (m) => ({ name: m[1] })],
  [/^`(.*)`: a name is lowercase latin letters/, 'bot.problem.badName', (m) => ({ name: m[1] })],
  [/^unknown request_type `(.*)`/, 'bot.problem.requestType', (m) => ({ value: m[1] })],
  [/^unknown slot `(.*)`/, 'bot.problem.slot', (m) => ({ value: m[1] })],
  [/^must differ from fallback/, 'bot.problem.sameFallback', () => ({})],
];

export function problemText(t: T, message: string): string {
  for (const [re, key, vars] of KNOWN) {
    const m = re.exec(message);
    if (m) return t(key, vars(m));
  }
  return message;
}

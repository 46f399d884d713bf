// "Save as test case": the conversation just tried in the tester becomes a regression case in the
// workflow's suite (the engine's format, bot/suite.rs): the same messages and stubs, and for every
// turn what happened — outcome, intent, handoff reason, the path through the graph and the start of
// the first reply — so a later edit that changes any of it fails the case at the first step that
// differs.
import type { TestTurn } from './trace';
import { pathOf } from './trace';

export interface StubSpec {
  url?: string;
  node?: string;
  status?: number;
  body?: unknown;
  timeout?: boolean;
  reply?: string;
}

export interface Expectation {
  turn?: number;
  reply_contains?: string;
  reply_excludes?: string;
  intent?: string;
  outcome?: string;
  handoff?: string;
  slots?: Record<string, string>;
  path?: string[];
}

export interface TestCase {
  name: string;
  messages: string[];
  channel?: string;
  customer?: { name?: string | null; phone?: string | null };
  stubs?: StubSpec[];
  expect: Expectation[];
}

/** The words a reply check keeps: enough to recognise the answer, short enough to survive a rewording of its tail. */
export const REPLY_PREFIX_CHARS = 60;

export function replyPrefix(reply: string): string {
  const trimmed = reply.trim();
  if (trimmed.length <= REPLY_PREFIX_CHARS) return trimmed;
  const cut = trimmed.slice(0, REPLY_PREFIX_CHARS);
  const space = cut.lastIndexOf(' ');
  return (space > 20 ? cut.slice(0, space) : cut).trim();
}

export function caseFromDialog(name: string, messages: string[], turns: TestTurn[], stubs: StubSpec[]): TestCase {
  const expect: Expectation[] = turns.map((t, i) => {
    const e: Expectation = { turn: i + 1, outcome: t.outcome, path: pathOf(t) };
    if (t.intent) e.intent = t.intent;
    if (t.handoff_reason) e.handoff = t.handoff_reason;
    const first = t.replies[0];
    if (first) e.reply_contains = replyPrefix(first);
    return e;
  });
  const c: TestCase = { name: name.trim(), messages: messages.slice(0, turns.length), expect };
  if (stubs.length) c.stubs = stubs;
  return c;
}

/** The suite with `c` added, replacing a case of the same name. */
export function withCase(suite: TestCase[], c: TestCase): TestCase[] {
  const i = suite.findIndex((x) => x.name === c.name);
  if (i < 0) return [...suite, c];
  const next = [...suite];
  next[i] = c;
  return next;
}

/** A name for the next case: the first message, shortened, made unique in the suite. */
export function suggestCaseName(suite: TestCase[], messages: string[]): string {
  const base = (messages[0] ?? 'case').trim().slice(0, 40) || 'case';
  const names = new Set(suite.map((c) => c.name));
  if (!names.has(base)) return base;
  for (let i = 2; ; i++) if (!names.has(`${base} (${i})`)) return `${base} (${i})`;
}

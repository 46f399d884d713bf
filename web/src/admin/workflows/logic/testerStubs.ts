// The tester's stand-ins for the outside world, per node: an Action calls its integration for real
// or answers with a canned response (or times out); an AI Response asks the real model or answers
// with a canned text (or fails). Turned into the engine's stubs (by node) for POST /test.
import type { WfDocument } from './document';
import type { StubSpec } from './testCases';

export type ActionStub = { mode: 'real' } | { mode: 'canned'; status: number; body: string } | { mode: 'timeout' };
export type LlmStub = { mode: 'real' } | { mode: 'canned'; reply: string } | { mode: 'fail' };

export interface TesterStubs {
  actions: Record<string, ActionStub>;
  llm: Record<string, LlmStub>;
}

export const noStubs = (): TesterStubs => ({ actions: {}, llm: {} });

/** A canned body as typed: JSON when it parses (so `map` pointers work), else the text. */
function body(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The stubs for the nodes still in `doc`. */
export function stubSpecs(doc: WfDocument, stubs: TesterStubs): StubSpec[] {
  const out: StubSpec[] = [];
  for (const n of doc.nodes) {
    if (n.type === 'action') {
      const s = stubs.actions[n.id];
      if (s?.mode === 'canned') out.push({ node: n.id, status: s.status, body: body(s.body) });
      if (s?.mode === 'timeout') out.push({ node: n.id, timeout: true });
    }
    if (n.type === 'ai_response') {
      const s = stubs.llm[n.id];
      if (s?.mode === 'canned') out.push({ node: n.id, reply: s.reply });
      if (s?.mode === 'fail') out.push({ node: n.id, timeout: true });
    }
  }
  return out;
}

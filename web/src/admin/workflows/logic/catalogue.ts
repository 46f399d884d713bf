// The editor's palette and form choices come from the server (GET /workflows/catalogue), derived
// from the engine, so the outputs drawn on a node are the ones validation and the interpreter use.
import type { components } from '../../../shared/api/schema';
import type { NodeType, WfNode } from './document';

type Wire = components['schemas'];
/** A node type of the palette; `data` is the starting `data` of such a node (any JSON object). */
export type NodeTypeSpec = Omit<Wire['NodeTypeSpec'], 'data'> & { data: Record<string, unknown> };
export type Catalogue = Omit<Wire['WorkflowCatalogue'], 'node_types' | 'template'> & {
  node_types: NodeTypeSpec[];
  template: { name: string; document: unknown; tests: unknown[] };
};

/** The palette's order: how a conversation usually flows, from its start to a person or the end. */
export const PALETTE_ORDER: NodeType[] = [
  'start',
  'intent',
  'confidence',
  'context',
  'search',
  'ai_response',
  'condition',
  'action',
  'ask',
  'message',
  'handoff',
  'end',
];

export function specOf(catalogue: Catalogue, type: string): NodeTypeSpec | undefined {
  return catalogue.node_types.find((t) => t.type === type);
}

/** The output handles a node has now: an intent node one per listed intent, then `fallback`. */
export function outputsOf(node: Pick<WfNode, 'type' | 'data'>, catalogue: Catalogue): string[] {
  const spec = specOf(catalogue, node.type);
  if (!spec) return [];
  if (!spec.outputs_per_intent) return spec.outputs;
  const intents = Array.isArray(node.data.intents) ? node.data.intents.filter((i): i is string => typeof i === 'string') : [];
  return [...intents.filter((i) => !spec.outputs.includes(i)), ...spec.outputs];
}

/** Whether an open output is a problem (it must be connected before publishing). */
export function isRequiredOutput(node: Pick<WfNode, 'type' | 'data'>, handle: string, catalogue: Catalogue): boolean {
  const spec = specOf(catalogue, node.type);
  if (!spec) return false;
  if (spec.outputs_per_intent) return true;
  return spec.required_outputs.includes(handle);
}

/** Whether a node of this type ends the run (no outputs at all). */
export function isTerminal(type: string, catalogue: Catalogue): boolean {
  const spec = specOf(catalogue, type);
  return !!spec && spec.outputs.length === 0 && !spec.outputs_per_intent;
}

/** A node's data as a new node of its type starts (a copy: forms mutate their own). */
export function startingData(catalogue: Catalogue, type: string): Record<string, unknown> {
  const spec = specOf(catalogue, type);
  return spec ? (structuredClone(spec.data) as Record<string, unknown>) : {};
}

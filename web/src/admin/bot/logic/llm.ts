// The language-model settings form: the stored settings as the form edits them (numbers as text),
// the request a save or a check sends, and the key's three states — kept, replaced, removed. The
// key is never shown: the server only says whether one is set.
import type { components } from '../../../shared/api/schema';

type S = components['schemas'];
export type LlmOptions = S['LlmOptions'];
export type LlmSettingsRequest = S['LlmSettingsRequest'];
export type LlmSettingsView = S['LlmSettingsView'];
export type LlmCheckResult = S['LlmCheckResult'];

/** The numeric fields, edited as text so that a half-typed value is not lost. */
export const LLM_NUMBERS = ['request_timeout_secs', 'task_timeout_secs', 'max_retries', 'router_trust'] as const;
export type LlmNumber = (typeof LLM_NUMBERS)[number];
export const LLM_TEXTS = ['base_url', 'router_model', 'answer_model', 'summary_model'] as const;
export type LlmText = (typeof LLM_TEXTS)[number];

export type KeyChange = { kind: 'keep' } | { kind: 'set'; key: string } | { kind: 'clear' };

export interface LlmForm {
  enabled: boolean;
  require_parameters: boolean;
  texts: Record<LlmText, string>;
  numbers: Record<LlmNumber, string>;
  key: KeyChange;
}

export function formOf(o: LlmOptions): LlmForm {
  return {
    enabled: o.enabled,
    require_parameters: o.require_parameters,
    texts: Object.fromEntries(LLM_TEXTS.map((f) => [f, o[f]])) as Record<LlmText, string>,
    numbers: Object.fromEntries(LLM_NUMBERS.map((f) => [f, String(o[f])])) as Record<LlmNumber, string>,
    key: { kind: 'keep' },
  };
}

/** A number as typed (a decimal comma is a point), or `null` when it is not one. */
function num(text: string): number | null {
  const t = text.trim().replace(',', '.');
  if (!t) return null;
  const n = Number(t);
  return Number.isFinite(n) ? n : null;
}

/**
 * The request for this form, or the fields that are not numbers (`settings.<field>`, the paths
 * the server names too). Range checks are the server's: it names the field it refuses.
 */
export function requestOf(f: LlmForm): { request: LlmSettingsRequest } | { problems: Record<string, 'notNumber' | 'emptyKey'> } {
  const problems: Record<string, 'notNumber' | 'emptyKey'> = {};
  const numbers: Partial<Record<LlmNumber, number>> = {};
  for (const field of LLM_NUMBERS) {
    const n = num(f.numbers[field]);
    if (n === null) problems[`settings.${field}`] = 'notNumber';
    else numbers[field] = n;
  }
  if (f.key.kind === 'set' && !f.key.key.trim()) problems.api_key = 'emptyKey';
  if (Object.keys(problems).length) return { problems };
  const settings: LlmOptions = {
    enabled: f.enabled,
    require_parameters: f.require_parameters,
    ...(Object.fromEntries(LLM_TEXTS.map((t) => [t, f.texts[t].trim()])) as Record<LlmText, string>),
    ...(numbers as Record<LlmNumber, number>),
  };
  const request: LlmSettingsRequest = { settings };
  if (f.key.kind === 'set') request.api_key = f.key.key.trim();
  if (f.key.kind === 'clear') request.clear_api_key = true;
  return { request };
}

/** Whether a key will be sent with the next request, as the key's line says it. */
export function keyState(view: LlmSettingsView | null, change: KeyChange): 'set' | 'none' | 'new' | 'removed' {
  if (change.kind === 'set') return 'new';
  if (change.kind === 'clear') return 'removed';
  return view?.has_api_key ? 'set' : 'none';
}

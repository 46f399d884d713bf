import { describe, expect, it } from 'vitest';
import { formOf, keyState, requestOf, type LlmOptions } from './llm';

const stored: LlmOptions = {
  enabled: true,
  base_url: 'https://openrouter.ai/api/v1',
  router_model: 'openai/gpt-5-mini',
  answer_model: 'openai/gpt-5-mini',
  summary_model: 'openai/gpt-5-nano',
  request_timeout_secs: 20,
  task_timeout_secs: 30,
  max_retries: 2,
  router_trust: 0.85,
  require_parameters: true,
};

describe('the language-model settings form', () => {
  it('round-trips the stored settings and keeps the key by default', () => {
    const r = requestOf(formOf(stored));
    expect(r).toEqual({ request: { settings: stored } });
  });

  it('reads a decimal comma and names what is not a number at its field', () => {
    const f = formOf(stored);
    f.numbers.router_trust = '0,7';
    expect(requestOf(f)).toMatchObject({ request: { settings: { router_trust: 0.7 } } });
    f.numbers.request_timeout_secs = 'двадцать';
    expect(requestOf(f)).toEqual({ problems: { 'settings.request_timeout_secs': 'notNumber' } });
  });

  it('a new key is sent trimmed, an empty one refused; removing it sends clear_api_key', () => {
    const f = formOf(stored);
    f.key = { kind: 'set', key: '  sk-or-v1-abc ' };
    expect(requestOf(f)).toMatchObject({ request: { api_key: 'sk-or-v1-abc' } });
    f.key = { kind: 'set', key: ' ' };
    expect(requestOf(f)).toEqual({ problems: { api_key: 'emptyKey' } });
    f.key = { kind: 'clear' };
    const r = requestOf(f);
    expect(r).toMatchObject({ request: { clear_api_key: true } });
    expect('request' in r && 'api_key' in r.request).toBe(false);
  });

  it("says what will happen to the key", () => {
    const view = { settings: stored, source: 'console', has_api_key: true };
    expect(keyState(view, { kind: 'keep' })).toBe('set');
    expect(keyState({ ...view, has_api_key: false }, { kind: 'keep' })).toBe('none');
    expect(keyState(view, { kind: 'set', key: 'x' })).toBe('new');
    expect(keyState(view, { kind: 'clear' })).toBe('removed');
  });
});

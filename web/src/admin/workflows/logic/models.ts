// Models an AI Response node can name (OpenRouter ids); any other id can be typed in. Empty means
// the deployment's default model.
export const OPENROUTER_MODELS: readonly string[] = [
  'openai/gpt-5.1',
  'openai/gpt-5',
  'openai/gpt-5-mini',
  'openai/gpt-5-nano',
  'openai/gpt-4.1-mini',
  'anthropic/claude-sonnet-4.5',
  'anthropic/claude-haiku-4.5',
  'google/gemini-2.5-flash',
  'google/gemini-2.5-pro',
  'deepseek/deepseek-chat-v3.1',
  'qwen/qwen3-235b-a22b',
  'meta-llama/llama-3.3-70b-instruct',
];

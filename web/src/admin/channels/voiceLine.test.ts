import { describe, expect, it } from 'vitest';
import { lineFormOf, lineSettingsOf, transferSummary } from './voiceLine';

const stored = {
  language: 'ru',
  greeting: 'Алло!',
  reprompt: 'Вы здесь?',
  goodbye: 'До свидания.',
  not_heard: 'Не расслышал.',
  transfer_notice: 'Соединяю.',
  transfer_failed: 'Перезвоним.',
  reprompt_after_secs: 8,
  max_reprompts: 2,
  dtmf_timeout_ms: 3000,
  barge_in: true,
  vad: { silence_ms: 700, min_speech_ms: 200, max_utterance_ms: 15000, start_ms: 60 },
  transfer: { kind: 'webhook', url: 'http://pbx/transfer', secret_set: true, timeout_ms: 5000 },
};

describe("a voice line's settings", () => {
  it('an edit sends every setting but the transfer, which the server keeps', () => {
    const f = lineFormOf(stored);
    f.texts.greeting = 'Добрый день!';
    f.numbers.max_reprompts = '3';
    const r = lineSettingsOf(stored, f);
    expect(r).toEqual({
      settings: { ...stored, transfer: undefined, greeting: 'Добрый день!', max_reprompts: 3 },
    });
    expect('settings' in r && 'transfer' in r.settings).toBe(false);
  });

  it('removing the transfer sends null; a bad number is named', () => {
    const f = lineFormOf(stored);
    f.removeTransfer = true;
    expect(lineSettingsOf(stored, f)).toMatchObject({ settings: { transfer: null } });
    f.numbers.reprompt_after_secs = '8.5';
    expect(lineSettingsOf(stored, f)).toEqual({ problems: ['reprompt_after_secs'] });
  });

  it('the transfer is shown by kind and its non-secret fields', () => {
    expect(transferSummary(stored.transfer)).toEqual({
      kind: 'webhook',
      error: null,
      fields: [
        ['url', 'http://pbx/transfer'],
        ['secret_set', '✓'],
        ['timeout_ms', '5000'],
      ],
    });
    expect(transferSummary(null).kind).toBeNull();
    expect(transferSummary({ error: 'sealed with another key' }).error).toBe('sealed with another key');
  });
});

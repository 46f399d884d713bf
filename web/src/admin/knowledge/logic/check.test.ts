import { describe, expect, it } from 'vitest';
import { confidenceLevel, formatScore, percent } from './check';

describe('the check’s confidences', () => {
  const thresholds = { answer_threshold: 0.5, direct_threshold: 0.75 };
  it('stand against the bot’s two thresholds', () => {
    expect(confidenceLevel(0.9, thresholds)).toBe('direct');
    expect(confidenceLevel(0.75, thresholds)).toBe('direct');
    expect(confidenceLevel(0.6, thresholds)).toBe('answer');
    expect(confidenceLevel(0.2, thresholds)).toBe('below');
    expect(confidenceLevel(0.9, { answer_threshold: null, direct_threshold: null })).toBe('unknown');
  });
  it('read as percentages and short scores', () => {
    expect(percent(0.756)).toBe('76%');
    expect(formatScore(3.14159)).toBe('3.14');
    expect(formatScore(12.345)).toBe('12.3');
  });
});

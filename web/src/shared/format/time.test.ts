import { describe, expect, it } from 'vitest';
import { formatListTime, formatSize } from './time';

describe('time formatting', () => {
  const now = new Date(2026, 10, 21, 15, 0);
  it('HH:MM today, date otherwise', () => {
    expect(formatListTime(new Date(2026, 10, 21, 9, 5).toISOString(), now)).toBe('09:05');
    expect(formatListTime(new Date(2026, 10, 20, 23, 59).toISOString(), now)).toBe('20.11');
    expect(formatListTime(new Date(2025, 0, 3, 8, 0).toISOString(), now)).toBe('03.01.25');
    expect(formatListTime('garbage', now)).toBe('');
  });
  it('sizes', () => {
    expect(formatSize(512)).toBe('512 B');
    expect(formatSize(2048)).toBe('2.0 KB');
    expect(formatSize(3 * 1024 * 1024)).toBe('3.0 MB');
  });
});

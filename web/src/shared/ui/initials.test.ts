import { describe, expect, it } from 'vitest';
import { colorFor, initials } from './initials';

describe('avatar without a picture', () => {
  it('shows up to two initials, upper-case, or ? for no name', () => {
    expect(initials('мария петрова')).toBe('МП');
    expect(initials('  Олег  ')).toBe('О');
    expect(initials('Анна Мария Иванова')).toBe('АМ');
    expect(initials('')).toBe('?');
    expect(initials(null)).toBe('?');
  });
  it('keeps a customer’s colour stable, whatever the seed', () => {
    expect(colorFor(3)).toBe(colorFor(3));
    expect(colorFor(3)).toBe(colorFor(11));
    expect(colorFor(3)).not.toBe(colorFor(4));
    expect(colorFor(-5)).toMatch(/^#[0-9a-f]{6}$/);
  });
});

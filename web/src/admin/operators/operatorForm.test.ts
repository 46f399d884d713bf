import { describe, expect, it } from 'vitest';
import i18n from '../../shared/i18n';
import { checkOperatorDraft, emptyOperatorDraft, loginError, passwordError, selfLimits } from './operatorForm';

const t = i18n.t.bind(i18n) as (k: string, o?: Record<string, unknown>) => string;

describe('the operator rules the server enforces', () => {
  it('passwords: 8 to 256 characters, counted as characters', () => {
    expect(passwordError('', t)).toBe('Обязательное поле');
    expect(passwordError('1234567', t)).toBe('Не короче 8 символов');
    expect(passwordError('12345678', t)).toBeUndefined();
    expect(passwordError('пароль12', t)).toBeUndefined();
    expect(passwordError('😀'.repeat(7), t)).toBe('Не короче 8 символов');
    expect(passwordError('x'.repeat(256), t)).toBeUndefined();
    expect(passwordError('x'.repeat(257), t)).toBe('Не длиннее 256 символов');
  });

  it('logins: 2–64 letters, digits and . _ - @, case-folded', () => {
    expect(loginError(' Olga ', t)).toBeUndefined();
    expect(loginError('ольга.п@shop', t)).toBeUndefined();
    expect(loginError('o', t)).toBe('От 2 до 64 символов');
    expect(loginError('o'.repeat(65), t)).toBe('От 2 до 64 символов');
    expect(loginError('olga petrova', t)).toBe('Только буквы, цифры и . _ - @');
    expect(loginError('olga!', t)).toBe('Только буквы, цифры и . _ - @');
  });

  it('an empty form names each field; a filled one becomes the request', () => {
    expect(checkOperatorDraft(emptyOperatorDraft(), t)).toEqual({
      errors: { login: 'Обязательное поле', display_name: 'Обязательное поле', password: 'Обязательное поле' },
    });
    expect(checkOperatorDraft({ login: ' Olga ', display_name: ' Ольга ', password: ' secret pass ', role: 'admin' }, t)).toEqual({
      request: { login: 'olga', display_name: 'Ольга', password: ' secret pass ', role: 'admin' },
    });
  });

  it('an admin cannot deactivate or demote themselves', () => {
    expect(selfLimits(true)).toEqual({ mayDeactivate: false, mayDemote: false });
    expect(selfLimits(false)).toEqual({ mayDeactivate: true, mayDemote: true });
  });
});

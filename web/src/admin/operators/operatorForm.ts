// The rules the server enforces on operators (frontline-domain's `Login` and `Password`, the API's
// display-name limit), checked before the request so the form can say what is wrong at once.
import type { Role } from '../../shared/api/types';
import type { FieldErrors } from '../forms/fieldErrors';
import type { CreateOperatorRequest } from './api';

/** `Password::parse`: 8 to 256 characters, nothing else. */
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 256;
export const DISPLAY_NAME_MAX = 100;

export const OPERATOR_FIELDS = ['login', 'display_name', 'password', 'role'] as const;
export type OperatorField = (typeof OPERATOR_FIELDS)[number];
export interface OperatorDraft {
  login: string;
  display_name: string;
  password: string;
  role: Role;
}
export const emptyOperatorDraft = (): OperatorDraft => ({ login: '', display_name: '', password: '', role: 'operator' });

type T = (key: string, options?: Record<string, unknown>) => string;

/** As `Login::parse`: trimmed and lower-cased, 2–64 letters, digits, `.`, `_`, `-`, `@`. */
export function normalizeLogin(login: string): string {
  return login.trim().toLowerCase();
}

export function loginError(login: string, t: T): string | undefined {
  const l = normalizeLogin(login);
  const n = [...l].length;
  if (n === 0) return t('adminForms.required');
  if (n < 2 || n > 64) return t('operators.loginLength');
  if (!/^[\p{L}\p{N}._@-]+$/u.test(l)) return t('operators.loginChars');
  return undefined;
}

/** Counted in characters (code points), as the server counts them. */
export function passwordError(password: string, t: T): string | undefined {
  const n = [...password].length;
  if (n === 0) return t('adminForms.required');
  if (n < PASSWORD_MIN) return t('operators.passwordShort', { min: PASSWORD_MIN });
  if (n > PASSWORD_MAX) return t('operators.passwordLong', { max: PASSWORD_MAX });
  return undefined;
}

export function displayNameError(name: string, t: T): string | undefined {
  const v = name.trim();
  if (!v) return t('adminForms.required');
  if ([...v].length > DISPLAY_NAME_MAX) return t('adminForms.tooLong', { max: DISPLAY_NAME_MAX });
  return undefined;
}

export function checkOperatorDraft(d: OperatorDraft, t: T): { request: CreateOperatorRequest } | { errors: FieldErrors<OperatorField> } {
  const errors: FieldErrors<OperatorField> = {};
  const login = loginError(d.login, t);
  const display_name = displayNameError(d.display_name, t);
  const password = passwordError(d.password, t);
  if (login) errors.login = login;
  if (display_name) errors.display_name = display_name;
  if (password) errors.password = password;
  if (Object.keys(errors).length) return { errors };
  // The password is sent as typed: spaces are part of it.
  return { request: { login: normalizeLogin(d.login), display_name: d.display_name.trim(), password: d.password, role: d.role } };
}

/** What an admin may change about an operator themselves: nothing that would lock everyone out. */
export function selfLimits(isSelf: boolean): { mayDeactivate: boolean; mayDemote: boolean } {
  return { mayDeactivate: !isSelf, mayDemote: !isSelf };
}

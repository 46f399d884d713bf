import { describe, expect, it } from 'vitest';
import { ApiError } from '../../shared/api/client';
import { hasErrors, placeError, serverMessage } from './fieldErrors';

const fields = ['name', 'client_secret'] as const;

describe('placing a server error', () => {
  it('at the field the server names, in the server words', () => {
    const e = new ApiError(422, 'validation_failed', 'must not be empty', 'name');
    expect(placeError(e, fields)).toEqual({ fields: { name: 'must not be empty' }, form: null });
  });

  it('a field the form does not have goes above the form', () => {
    const e = new ApiError(422, 'validation_failed', 'bad kind', 'kind');
    expect(placeError(e, fields)).toEqual({ fields: {}, form: 'bad kind' });
  });

  it('a code that concerns one field lands there, translated with the message beside it', () => {
    const e = new ApiError(422, 'avito_credentials_rejected', 'Avito rejected the client id and secret: invalid_client');
    const placed = placeError(e, fields, { avito_credentials_rejected: 'client_secret' });
    expect(placed.form).toBeNull();
    expect(placed.fields.client_secret).toBe('Авито не принял Client ID и Client secret (Avito rejected the client id and secret: invalid_client)');
  });

  it('an untranslated code shows the server message; a network failure its translation', () => {
    expect(serverMessage(new ApiError(409, 'conflict', 'the account has conversations'))).toBe('the account has conversations');
    expect(serverMessage(new ApiError(0, 'network', 'Failed to fetch'))).toBe('Нет связи с сервером. Проверьте подключение. (Failed to fetch)');
    expect(serverMessage(new Error('x'))).toBe('Что-то пошло не так. Попробуйте ещё раз.');
  });

  it('hasErrors ignores empty entries', () => {
    expect(hasErrors({})).toBe(false);
    expect(hasErrors({ name: undefined })).toBe(false);
    expect(hasErrors({ name: 'x' })).toBe(true);
  });
});

import { describe, expect, it } from 'vitest';
import i18n from '../../shared/i18n';
import { ApiError } from '../../shared/api/client';
import { checkAvitoDraft, emptyAvitoDraft, placeConnectError } from './avitoConnect';

const t = i18n.t.bind(i18n) as (k: string, o?: Record<string, unknown>) => string;
const filled = { name: ' Авито: Мебель ', user_id: ' 1001 ', client_id: ' demo-shop ', client_secret: ' s3cret ' };

describe('the Avito connect form', () => {
  it('an empty form names every field', () => {
    const r = checkAvitoDraft(emptyAvitoDraft(), t);
    expect(r).toEqual({ errors: { name: 'Обязательное поле', user_id: 'Обязательное поле', client_id: 'Обязательное поле', client_secret: 'Обязательное поле' } });
  });

  it('the user id is Avito’s positive number', () => {
    for (const user_id of ['abc', '-5', '0', '10.5', '1e3']) {
      const r = checkAvitoDraft({ ...filled, user_id }, t);
      expect(r).toEqual({ errors: { user_id: 'Номер профиля Авито — целое положительное число' } });
    }
  });

  it('a name longer than the server keeps is refused', () => {
    expect(checkAvitoDraft({ ...filled, name: 'я'.repeat(201) }, t)).toEqual({ errors: { name: 'Не длиннее 200 символов' } });
  });

  it('a filled form becomes the trimmed request', () => {
    expect(checkAvitoDraft(filled, t)).toEqual({ request: { name: 'Авито: Мебель', user_id: 1001, client_id: 'demo-shop', client_secret: 's3cret' } });
  });

  it('Avito refusing the credentials is shown at the secret; an account already connected at the user id', () => {
    const rejected = placeConnectError(new ApiError(422, 'avito_credentials_rejected', 'Avito rejected the client id and secret: invalid_client'));
    expect(Object.keys(rejected.fields)).toEqual(['client_secret']);
    expect(rejected.form).toBeNull();
    const taken = placeConnectError(new ApiError(422, 'validation_failed', 'Avito account 1001 is already connected as account 1', 'user_id'));
    expect(taken).toEqual({ fields: { user_id: 'Avito account 1001 is already connected as account 1' }, form: null });
    const down = placeConnectError(new ApiError(502, 'avito_unavailable', 'connection refused'));
    expect(down.fields).toEqual({});
    expect(down.form).toContain('connection refused');
  });
});

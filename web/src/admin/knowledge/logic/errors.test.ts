import { describe, expect, it } from 'vitest';
import '../../../shared/i18n';
import { ApiError } from '../../../shared/api/client';
import { kbErrorText } from './errors';

describe('knowledge errors', () => {
  it('say the code in Russian and keep the server’s detail', () => {
    expect(kbErrorText(new ApiError(422, 'validation_failed', 'must be 1 to 200 characters', 'title'))).toBe('Проверьте введённые данные. (title: must be 1 to 200 characters)');
    // A message that names its field already is not prefixed with it again.
    expect(kbErrorText(new ApiError(422, 'validation_failed', 'line 3 `x`: unknown category `gifts`', 'category'))).toBe('Проверьте введённые данные. (line 3 `x`: unknown category `gifts`)');
    expect(kbErrorText(new ApiError(502, 'opencart_unavailable', 'cannot connect to 127.0.0.1:1'))).toBe('База данных магазина недоступна. (cannot connect to 127.0.0.1:1)');
    expect(kbErrorText(new ApiError(0, 'network', 'Failed to fetch'))).toBe('Нет связи с сервером. Проверьте подключение.');
    expect(kbErrorText(new ApiError(500, 'http_500', 'Internal Server Error'))).toBe('Internal Server Error');
    expect(kbErrorText(new Error('x'))).toBe('Что-то пошло не так. Попробуйте ещё раз.');
  });
});

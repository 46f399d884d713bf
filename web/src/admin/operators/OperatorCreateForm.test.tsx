import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { ApiError } from '../../shared/api/client';
import type { Operator } from '../../shared/api/types';
import { OperatorCreateForm } from './OperatorCreateForm';
import { OperatorRow } from './OperatorRow';

afterEach(cleanup);

const field = (name: string) => screen.getAllByTestId('field').find((f) => f.dataset.field === name)!;
const olga: Operator = { id: 5, login: 'olga', display_name: 'Ольга', role: 'operator', active: true, created_at: '2026-11-20T10:00:00Z', last_seen_at: null };

describe('a new operator', () => {
  it('the form says the password policy and refuses a short password before sending', () => {
    const onCreate = vi.fn();
    render(<OperatorCreateForm onCreate={onCreate} onCreated={vi.fn()} />);
    expect(field('password').textContent).toContain('От 8 до 256 символов.');
    fireEvent.change(screen.getByTestId('operator-login'), { target: { value: 'olga' } });
    fireEvent.change(screen.getByTestId('operator-name'), { target: { value: 'Ольга' } });
    fireEvent.change(screen.getByTestId('operator-password'), { target: { value: 'short' } });
    fireEvent.click(screen.getByTestId('operator-create-submit'));
    expect(onCreate).not.toHaveBeenCalled();
    expect(within(field('password')).getByTestId('field-error').textContent).toBe('Не короче 8 символов');
  });

  it('a login taken is shown at the login; then created with the role chosen', async () => {
    const onCreate = vi.fn().mockRejectedValueOnce(new ApiError(409, 'conflict', 'login already taken')).mockResolvedValueOnce(olga);
    const onCreated = vi.fn();
    render(<OperatorCreateForm onCreate={onCreate} onCreated={onCreated} />);
    fireEvent.change(screen.getByTestId('operator-login'), { target: { value: ' Olga ' } });
    fireEvent.change(screen.getByTestId('operator-name'), { target: { value: 'Ольга' } });
    fireEvent.change(screen.getByTestId('operator-password'), { target: { value: 'olga-pass-2026' } });
    fireEvent.change(screen.getByTestId('operator-role'), { target: { value: 'admin' } });
    fireEvent.click(screen.getByTestId('operator-create-submit'));
    expect((await within(field('login')).findByTestId('field-error')).textContent).toBe('login already taken');
    expect(onCreate).toHaveBeenCalledWith({ login: 'olga', display_name: 'Ольга', password: 'olga-pass-2026', role: 'admin' });
    fireEvent.click(screen.getByTestId('operator-create-submit'));
    await waitFor(() => expect(onCreated).toHaveBeenCalledWith(olga));
  });
});

describe('an operator in the list', () => {
  const row = (op: Operator, isSelf: boolean, onUpdate = vi.fn()) =>
    render(
      <table>
        <tbody>
          <OperatorRow operator={op} isSelf={isSelf} onUpdate={onUpdate} onChanged={vi.fn()} />
        </tbody>
      </table>,
    );

  it('says when they were last seen, or that they never signed in', () => {
    const { unmount } = row(olga, false);
    expect(screen.getByTestId('operator-seen').textContent).toBe('ещё не входил(а)');
    unmount();
    row({ ...olga, last_seen_at: '2026-12-01T09:30:00.000Z' }, false);
    const seen = screen.getByTestId('operator-seen').textContent ?? '';
    expect(seen.startsWith('был(а) в сети ')).toBe(true);
    expect(seen).toMatch(/\d/);
  });

  it('is turned off after a confirmation', async () => {
    const onUpdate = vi.fn().mockResolvedValue({ ...olga, active: false });
    row(olga, false, onUpdate);
    fireEvent.click(screen.getByTestId('operator-deactivate'));
    expect(onUpdate).not.toHaveBeenCalled();
    fireEvent.click(screen.getByTestId('operator-deactivate-yes'));
    await waitFor(() => expect(onUpdate).toHaveBeenCalledWith(5, { active: false }));
    expect((await screen.findByTestId('operator-notice')).textContent).toBe('Выключен, сеансы завершены.');
  });

  it('the admin cannot turn themselves off or change their own role', () => {
    row({ ...olga, role: 'admin' }, true);
    expect((screen.getByTestId('operator-deactivate') as HTMLButtonElement).disabled).toBe(true);
    expect((screen.getByTestId('operator-role-select') as HTMLSelectElement).disabled).toBe(true);
  });

  it('a new password is checked against the policy, then set', async () => {
    const onUpdate = vi.fn().mockResolvedValue(olga);
    row(olga, false, onUpdate);
    fireEvent.click(screen.getByTestId('operator-reset'));
    fireEvent.change(screen.getByTestId('password-reset-input'), { target: { value: '1234' } });
    fireEvent.click(screen.getByTestId('password-reset-submit'));
    expect(onUpdate).not.toHaveBeenCalled();
    expect(screen.getByTestId('field-error').textContent).toBe('Не короче 8 символов');
    fireEvent.change(screen.getByTestId('password-reset-input'), { target: { value: 'new-pass-2026' } });
    fireEvent.click(screen.getByTestId('password-reset-submit'));
    await waitFor(() => expect(onUpdate).toHaveBeenCalledWith(5, { password: 'new-pass-2026' }));
    expect((await screen.findByTestId('operator-notice')).textContent).toBe('Пароль изменён, сеансы оператора завершены.');
    expect(screen.queryByTestId('password-reset')).toBeNull();
  });
});

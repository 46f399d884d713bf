import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { createMemoryRouter, createRoutesFromElements, MemoryRouter, Outlet, Route, RouterProvider, useLocation } from 'react-router';
import type { Operator } from '../shared/api/types';
import { isAdmin } from '../shared/session/auth';
import { useSession } from '../shared/session/store';
import { HeaderControls } from '../inbox/list/HeaderControls';
import { INBOX_ROUTE } from '../inbox/url';
import { adminRoutes } from './routes';
import { ADMIN_SECTIONS } from './sections';

const operator = (role: Operator['role']): Operator => ({ id: 1, login: role, display_name: role, role, active: true, created_at: '' });

function Where() {
  const l = useLocation();
  return <output data-testid="where">{l.pathname + l.search}</output>;
}

/** The app's admin routes beside a stand-in for the inbox, opened at `path` by `role`. */
function open(path: string, role: Operator['role']) {
  useSession.setState({ auth: 'ready', me: operator(role) });
  const routes = createRoutesFromElements(
    <Route
      element={
        <>
          <Outlet />
          <Where />
        </>
      }
    >
      <Route path={INBOX_ROUTE} element={<p data-testid="inbox" />} />
      {adminRoutes}
    </Route>,
  );
  render(<RouterProvider router={createMemoryRouter(routes, { initialEntries: [path] })} />);
}

afterEach(cleanup);

describe('the administration area', () => {
  it('is for admins only', () => {
    expect(isAdmin(operator('admin'))).toBe(true);
    expect(isAdmin(operator('operator'))).toBe(false);
    expect(isAdmin(null)).toBe(false);
  });

  it('an operator who opens an /admin URL lands in the inbox and sees no admin screen', async () => {
    for (const path of ['/admin', '/admin/workflows', '/admin/operators?x=1', '/admin/nonsense']) {
      open(path, 'operator');
      expect(await screen.findByTestId('inbox')).toBeTruthy();
      expect(screen.getByTestId('where').textContent).toBe('/inbox/mine');
      expect(screen.queryByTestId('admin-shell')).toBeNull();
      cleanup();
    }
  });

  it('an admin gets the shell: /admin opens «Сценарии», every section has its page and its link', async () => {
    open('/admin', 'admin');
    expect((await screen.findByTestId('admin-section')).dataset.section).toBe('workflows');
    expect(screen.getByTestId('where').textContent).toBe('/admin/workflows');
    expect(screen.getByRole('heading').textContent).toBe('Сценарии');
    const items = screen.getAllByTestId('admin-nav-item');
    expect(items.map((a) => a.textContent)).toEqual(['Сценарии', 'Бот', 'База знаний', 'Каналы', 'Операторы', 'Быстрые ответы', 'Аналитика']);
    expect(items.map((a) => a.getAttribute('href'))).toEqual(ADMIN_SECTIONS.map((s) => `/admin/${s.path}`));
    expect(items[0]!.getAttribute('aria-current')).toBe('page');

    fireEvent.click(items[6]!);
    expect(screen.getByTestId('where').textContent).toBe('/admin/analytics');
    expect(screen.getByRole('heading').textContent).toBe('Аналитика');
    expect(screen.getByTestId('admin-section').textContent).toContain('решения бота');

    fireEvent.click(items[4]!);
    expect(screen.getByTestId('where').textContent).toBe('/admin/operators');
    expect((await screen.findByTestId('admin-section')).dataset.section).toBe('operators');
    expect(screen.getByRole('heading', { level: 1 }).textContent).toBe('Операторы');

    fireEvent.click(screen.getByTestId('inbox-link'));
    expect(screen.getByTestId('where').textContent).toBe('/inbox/mine');
    expect(screen.getByTestId('inbox')).toBeTruthy();
  });

  it('an unknown section of an admin goes to the first one', async () => {
    open('/admin/nonsense/deeper', 'admin');
    expect((await screen.findByTestId('admin-section')).dataset.section).toBe('workflows');
    expect(screen.getByTestId('where').textContent).toBe('/admin/workflows');
  });

  it('the list header links to it for admins only', () => {
    useSession.setState({ me: operator('operator') });
    render(
      <MemoryRouter>
        <HeaderControls />
      </MemoryRouter>,
    );
    expect(screen.queryByTestId('admin-link')).toBeNull();
    cleanup();
    useSession.setState({ me: operator('admin') });
    render(
      <MemoryRouter>
        <HeaderControls />
      </MemoryRouter>,
    );
    const link = screen.getByTestId('admin-link');
    expect(link.getAttribute('href')).toBe('/admin');
    expect(link.getAttribute('aria-label')).toBe('Администрирование');
  });
});

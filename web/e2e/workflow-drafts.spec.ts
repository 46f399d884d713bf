// Drafts are never lost: a reload in the middle of an edit brings it back (and saves it), and two
// admins editing one workflow get a conflict with the other's version instead of a silent overwrite.
import { login } from './support/browser';
import { expect, test } from './support/fixtures';
import { node, saved } from './support/studio';

const START = { version: 1, nodes: [{ id: 'start', type: 'start', position: { x: 0, y: 0 }, data: {} }], edges: [] };

test('a reload mid-edit loses nothing', async ({ page, state, api }) => {
  const base = state.server.url;
  const w = await api.post<{ id: number; revision: number }>('/workflows', { name: 'Черновик (перезагрузка)', document: START });
  await login(page, base, state.admin);
  await page.goto(`${base}/admin/workflows/${w.id}`);
  await expect(node(page, 'start')).toBeVisible();
  await page.getByTestId('wf-name').fill('Черновик после перезагрузки');
  // A click on the palette adds the node in view; reload before the autosave's debounce has fired.
  await page.locator('[data-testid="wf-palette-item"][data-type="message"]').click();
  await expect(node(page, 'message_1')).toBeVisible();
  await page.reload();
  await expect(node(page, 'message_1')).toBeVisible();
  await expect(page.getByTestId('wf-name')).toHaveValue('Черновик после перезагрузки');
  await saved(page);
  const after = await api.get<{ name: string; revision: number; document: { nodes: { id: string }[] } }>(`/workflows/${w.id}`);
  expect(after.name).toBe('Черновик после перезагрузки');
  expect(after.document.nodes.map((n) => n.id)).toEqual(['start', 'message_1']);
  expect(after.revision).toBeGreaterThan(w.revision);
});

test('a concurrent edit from a second browser gets the conflict, with the other version', async ({ page, browser, state, api }) => {
  const base = state.server.url;
  const w = await api.post<{ id: number }>('/workflows', { name: 'Общий сценарий', document: START });
  await login(page, base, state.admin);
  await page.goto(`${base}/admin/workflows/${w.id}`);
  await expect(node(page, 'start')).toBeVisible();

  const other = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'ru-RU' });
  const second = await other.newPage();
  await login(second, base, state.admin);
  await second.goto(`${base}/admin/workflows/${w.id}`);
  await expect(node(second, 'start')).toBeVisible();

  // The first admin saves.
  await page.getByTestId('wf-name').fill('Общий сценарий — правка первого');
  await saved(page);
  // The second, who opened the older revision, edits too: refused, shown, nothing overwritten.
  await second.getByTestId('wf-name').fill('Общий сценарий — правка второго');
  await expect(second.getByTestId('wf-conflict')).toBeVisible({ timeout: 15_000 });
  await expect(second.getByTestId('wf-save-state')).toHaveAttribute('data-state', 'conflict');
  expect((await api.get<{ name: string }>(`/workflows/${w.id}`)).name).toBe('Общий сценарий — правка первого');

  // The second keeps theirs over it, knowingly; the first then conflicts in turn.
  await second.getByTestId('wf-conflict-mine').click();
  await saved(second);
  expect((await api.get<{ name: string }>(`/workflows/${w.id}`)).name).toBe('Общий сценарий — правка второго');
  await page.locator('[data-testid="wf-palette-item"][data-type="end"]').click();
  await expect(page.getByTestId('wf-conflict')).toBeVisible({ timeout: 15_000 });
  await page.getByTestId('wf-conflict-theirs').click();
  await expect(page.getByTestId('wf-name')).toHaveValue('Общий сценарий — правка второго');
  await expect(node(page, 'end_1')).toHaveCount(0);
  await expect(page.getByTestId('wf-save-state')).toHaveAttribute('data-state', 'saved');
  await other.close();
});

test('an operator is refused every write of the studio by the server', async ({ state, api }) => {
  const op = await (await import('./support/api')).Api.login(state.server.url, state.operator.login, state.operator.password);
  const w = await api.post<{ id: number }>('/workflows', { name: 'Только для админов', document: START });
  const refused = async (p: Promise<unknown>) => {
    const e = await p.then(() => null, (err: { status?: number }) => err);
    expect(e?.status).toBe(403);
  };
  await refused(op.post('/workflows', { name: 'x', document: START }));
  await refused(op.put(`/workflows/${w.id}`, { name: 'x', document: START }));
  await refused(op.post(`/workflows/${w.id}/publish`, {}));
  await refused(op.put(`/accounts/${state.accounts[0]!.id}/workflow`, { workflow_id: w.id }));
});

// Driving the workflow studio as a person does: dragging from the palette, wiring handles with the
// mouse, reading what the canvas marks.
import { expect, type Locator, type Page } from '@playwright/test';

export function node(page: Page, id: string): Locator {
  return page.locator(`[data-testid="wf-node"][data-node-id="${id}"]`);
}

/** Drags a node type from the palette onto the canvas, its centre at (x, y) of the canvas. */
export async function dragNode(page: Page, type: string, x: number, y: number): Promise<void> {
  const before = await page.getByTestId('wf-node').count();
  await page.locator(`[data-testid="wf-palette-item"][data-type="${type}"]`).dragTo(page.getByTestId('wf-canvas'), { targetPosition: { x, y } });
  await expect(page.getByTestId('wf-node')).toHaveCount(before + 1);
}

/** Connects output `handle` of node `from` to the input of node `to` by dragging between the handles. */
export async function wire(page: Page, from: string, handle: string, to: string): Promise<void> {
  const out = node(page, from).locator(`[data-testid="wf-out"][data-handle="${handle}"]`);
  const into = node(page, to).getByTestId('wf-in');
  const a = (await out.boundingBox())!;
  const b = (await into.boundingBox())!;
  await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
  await page.mouse.down();
  await page.mouse.move((a.x + b.x) / 2, (a.y + b.y) / 2, { steps: 5 });
  await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 5 });
  await page.mouse.up();
}

/** Selects a node (its settings open in the side panel). */
export async function pick(page: Page, id: string): Promise<void> {
  await page.locator('[data-testid="wf-tab"][data-panel="settings"]').click();
  // A click event on the node itself: the minimap or the controls may cover part of the canvas.
  await node(page, id).locator('.wf-node-head').dispatchEvent('click');
  await expect(page.getByTestId('wf-settings')).toHaveAttribute('data-node-id', id);
}

export async function panel(page: Page, name: 'settings' | 'problems' | 'tester' | 'suite' | 'versions'): Promise<void> {
  await page.locator(`[data-testid="wf-tab"][data-panel="${name}"]`).click();
}

/** Waits until the draft is on the server (and its problems came back). */
export async function saved(page: Page): Promise<void> {
  await expect(page.getByTestId('wf-save-state')).toHaveAttribute('data-state', 'saved', { timeout: 15_000 });
}

/** Fits the whole graph into view (the canvas's own control). */
export async function fit(page: Page): Promise<void> {
  await page.locator('.react-flow__controls-fitview').click();
  // The fit animates nothing, but React Flow applies it on the next frame.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}

// The workflow studio end to end, as a support lead uses it: a new workflow built on an empty
// canvas by dragging nodes and wiring them, a problem seen on its node and fixed, the flow tried in
// the tester with the path lit, the dialog saved as a test case, published with a note, assigned to
// an api account — and then a real customer message through the inbound API is answered by it.
import { shot } from './support/browser';
import { login } from './support/browser';
import { expect, test } from './support/fixtures';
import { dragNode, fit, node, panel, pick, saved, wire } from './support/studio';

const QUESTION = 'Сколько стоит доставка?';
const CANNED = 'Доставка по Москве — 1–2 дня, от 300 ₽ (ответ модели в тестере).';

test('an admin builds a workflow from an empty canvas, tests it, publishes it, and a customer gets its answer', async ({ page, state, api }) => {
  test.setTimeout(180_000);
  const base = state.server.url;
  // The channel the new workflow will run on: an api account, created before signing in.
  const created = await api.post<{ account?: { id: number }; id?: number; inbound_token: string }>('/accounts', {
    kind: 'api',
    name: 'Сайт: сценарий доставки',
    callback_url: 'http://127.0.0.1:9/hook',
  });
  const accountId = created.account?.id ?? created.id!;

  await login(page, base, state.admin);
  await page.goto(`${base}/admin/workflows`);
  await page.getByTestId('wf-new-name').fill('Доставка (e2e)');
  await page.getByTestId('wf-new-empty').click();
  await expect(page).toHaveURL(/\/admin\/workflows\/\d+$/);
  const workflowId = Number(new URL(page.url()).pathname.split('/').pop());
  await expect(page.getByTestId('wf-studio')).toBeVisible();
  await expect(page.getByTestId('wf-node')).toHaveCount(0);
  // An empty draft cannot be published: it has no start.
  await expect(page.getByTestId('wf-publish')).toBeDisabled();

  // Drag the nodes in: two columns, three rows.
  await dragNode(page, 'start', 130, 70);
  await dragNode(page, 'intent', 390, 70);
  await dragNode(page, 'search', 130, 320);
  await dragNode(page, 'ai_response', 390, 320);
  await dragNode(page, 'handoff', 130, 570);
  await dragNode(page, 'message', 390, 570);
  await expect(page.locator('[data-testid="wf-palette-item"][data-type="start"]')).toBeDisabled();

  await wire(page, 'start', 'out', 'intent_1');
  await wire(page, 'intent_1', 'fallback', 'handoff_1');
  await wire(page, 'search_1', 'found', 'ai_response_1');
  await wire(page, 'search_1', 'not_found', 'handoff_1');
  await wire(page, 'ai_response_1', 'error', 'message_1');
  await expect(page.locator('.react-flow__edge')).toHaveCount(5);
  await saved(page);

  // The server's problems are on the nodes: an intent node with no intents, empty texts.
  await expect(node(page, 'intent_1')).not.toHaveAttribute('data-problems', '0');
  await expect(node(page, 'intent_1').getByTestId('wf-node-problems')).toBeVisible();
  await expect(node(page, 'message_1')).not.toHaveAttribute('data-problems', '0');
  await expect(page.getByTestId('wf-publish')).toBeDisabled();
  await panel(page, 'problems');
  const problems = page.getByTestId('wf-problem');
  await expect(problems.first()).toBeVisible();
  // A click on a problem selects its node.
  await page.locator('[data-testid="wf-problem"][data-node-id="intent_1"]').first().click();
  await expect(node(page, 'intent_1')).toHaveClass(/is-selected/);
  await shot(page, 'desktop-20-workflow-validation');
  // Focusing the node moved the view: the whole graph back in view.
  await fit(page);

  // Fix them in the forms: intents from the bot's list, the category picker, the prompt, the text.
  await pick(page, 'intent_1');
  await page.getByTestId('wf-field-intents').locator('input[data-intent="delivery"]').check();
  await expect(node(page, 'intent_1').locator('[data-testid="wf-out"][data-handle="delivery"]')).toBeVisible();
  await wire(page, 'intent_1', 'delivery', 'search_1');
  await pick(page, 'search_1');
  await page.getByTestId('wf-field-category').selectOption('delivery');
  await page.getByTestId('wf-field-min-confidence').fill('0.3');
  await pick(page, 'ai_response_1');
  await page.getByTestId('wf-field-model').fill('openai/gpt-5-mini');
  await page.getByTestId('wf-field-system-prompt').fill('Ответь клиенту по найденной статье, коротко и вежливо.');
  await page.getByTestId('wf-field-grounded').check();
  await pick(page, 'message_1');
  await page.getByTestId('wf-field-text').fill('{vars.search.0.text}');
  await pick(page, 'handoff_1');
  await page.getByTestId('wf-field-handoff-message').fill('Уточню у коллег — сейчас подключится оператор.');
  await saved(page);
  await expect(page.locator('[data-testid="wf-node"]:not([data-problems="0"])')).toHaveCount(0);
  await panel(page, 'problems');
  await expect(page.getByTestId('wf-problems')).toHaveAttribute('data-count', '0');
  await expect(page.getByTestId('wf-publish')).toBeEnabled();
  await page.getByTestId('wf-layout').click();
  await fit(page);
  await saved(page);
  await shot(page, 'desktop-21-workflow-editor');

  // The tester, offline: the model is a canned answer. The path lights up on the graph.
  await panel(page, 'tester');
  const llm = page.locator('[data-testid="wf-stub"][data-node-id="ai_response_1"]');
  await llm.getByTestId('wf-stub-mode').selectOption('canned');
  await llm.getByTestId('wf-stub-reply').fill(CANNED);
  await page.getByTestId('wf-tester-input').fill(QUESTION);
  await page.getByTestId('wf-tester-send').click();
  await expect(page.getByTestId('wf-reply')).toHaveText([CANNED]);
  for (const id of ['start', 'intent_1', 'search_1', 'ai_response_1']) await expect(node(page, id)).toHaveAttribute('data-visited', '1');
  for (const id of ['handoff_1', 'message_1']) await expect(node(page, id)).not.toHaveAttribute('data-visited', /.+/);
  await expect(page.locator('.react-flow__edge.is-taken')).toHaveCount(3);
  // A node's step, with its input and output, on click.
  await node(page, 'search_1').locator('.wf-node-head').click();
  await expect(page.getByTestId('wf-inspector')).toHaveAttribute('data-node-id', 'search_1');
  await expect(page.getByTestId('wf-step-output')).toContainText('"branch": "found"');
  await shot(page, 'desktop-22-workflow-tester');

  // Saved as a regression case; the suite passes.
  await page.getByTestId('wf-save-case').click();
  await page.getByTestId('wf-case-name').fill('Доставка: ответ модели');
  await page.getByTestId('wf-case-save').click();
  await expect(page.getByTestId('wf-case-saved')).toBeVisible();

  // What a real customer will get here (no model on this server): the failing model's branch.
  await page.getByTestId('wf-tester-reset').click();
  await llm.getByTestId('wf-stub-mode').selectOption('fail');
  await page.getByTestId('wf-tester-input').fill(QUESTION);
  await page.getByTestId('wf-tester-send').click();
  const articleReply = page.getByTestId('wf-reply');
  await expect(articleReply).toHaveCount(1);
  const expected = (await articleReply.textContent())!.trim();
  expect(expected.length).toBeGreaterThan(20);
  await expect(node(page, 'message_1')).toHaveAttribute('data-visited', '1');

  await saved(page);
  await panel(page, 'suite');
  await expect(page.getByTestId('wf-case')).toHaveCount(1);
  await page.getByTestId('wf-suite-run').click();
  await expect(page.getByTestId('wf-suite-summary')).toHaveAttribute('data-passed', '1');
  await expect(page.getByTestId('wf-case')).toHaveAttribute('data-passed', 'true');

  // Publish with a note (the suite runs first).
  await page.getByTestId('wf-publish').click();
  await expect(page.getByTestId('wf-publish-dialog')).toContainText('Все тесты прошли');
  await page.getByTestId('wf-publish-note').fill('Первая версия: доставка из базы знаний');
  await page.getByTestId('wf-publish-confirm').click();
  await expect(page.getByTestId('wf-publish-dialog')).toHaveCount(0);
  await panel(page, 'versions');
  const v1 = page.locator('[data-testid="wf-version"][data-version="1"]');
  await expect(v1).toContainText('Первая версия: доставка из базы знаний');
  await expect(v1).toContainText(state.admin.name);

  // Assign it to the api account from here.
  const box = page.locator(`[data-testid="wf-account"][data-account-id="${accountId}"]`);
  await box.check();
  await expect(box).toBeChecked();
  const w = await api.get<{ account_ids: number[]; published_version: number }>(`/workflows/${workflowId}`);
  expect(w.account_ids).toEqual([accountId]);
  expect(w.published_version).toBe(1);

  // A real customer writes through the inbound API: the new flow answers.
  const chat = `studio-${Date.now()}`;
  const inbound = await fetch(`${base}/api/v1/inbound/${accountId}/messages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${created.inbound_token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ external_chat_id: chat, external_message_id: `${chat}-1`, customer: { external_id: chat, name: 'Покупатель' }, text: QUESTION }),
  });
  expect(inbound.ok, await inbound.text()).toBe(true);
  await expect
    .poll(
      async () => {
        const conv = (await api.conversations()).find((c) => c.external_chat_id === chat);
        if (!conv) return null;
        return (await api.messages(conv.id)).filter((m) => m.author.kind === 'bot').map((m) => m.text);
      },
      { timeout: 20_000 },
    )
    .toEqual([expected]);
  const conv = (await api.conversations()).find((c) => c.external_chat_id === chat)!;
  expect(conv.lead).toBe('bot');

  // The diff: the draft moves on, and version 1 is compared with it.
  await pick(page, 'message_1');
  await page.getByTestId('wf-field-text').fill('Вот что нашлось: {vars.search.0.text}');
  await dragNode(page, 'end', 300, 300);
  await saved(page);
  await panel(page, 'versions');
  await v1.getByTestId('wf-version-diff').click();
  await expect(page).toHaveURL(/diff=1/);
  await expect(page.getByTestId('wf-diff')).toContainText('добавлено 1');
  await expect(node(page, 'message_1')).toHaveAttribute('data-diff', 'changed');
  await expect(node(page, 'end_1')).toHaveAttribute('data-diff', 'added');
  await page.locator('[data-testid="wf-tab"][data-panel="settings"]').click();
  await expect(page.getByTestId('wf-diff-list')).toContainText('message_1');
  await shot(page, 'desktop-23-workflow-diff');
  // A deep link survives a reload.
  await page.reload();
  await expect(page.getByTestId('wf-diff')).toBeVisible();
  await expect(node(page, 'end_1')).toHaveAttribute('data-diff', 'added');
  // And the read-only view of the version.
  await page.goto(`${base}/admin/workflows/${workflowId}?version=1&panel=versions`);
  await expect(page.getByTestId('wf-readonly')).toBeVisible();
  await expect(page.getByTestId('wf-node')).toHaveCount(6);
  await expect(page.getByTestId('wf-palette')).toHaveCount(0);
});

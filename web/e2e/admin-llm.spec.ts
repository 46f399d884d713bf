// «Бот» → «Языковая модель»: an admin points the bot at an OpenAI-compatible API (here a local
// server of this spec's own that speaks the chat-completions wire format), checks the connection
// with a new key before saving, saves, and finds the key set but never shown again; a closed port
// fails the check, an out-of-range timeout is refused at its field. Against a server of this
// spec's own: the shared one keeps its bot as it is.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Api } from './support/api';
import { login, shot } from './support/browser';
import { expect, test } from './support/fixtures';
import { type Isolated, startIsolated, stopIsolated } from './support/isolated';
import { freePort } from './support/procs';

const KEY = 'sk-or-v1-e2e-0123456789abcdef';

let own: Isolated;
let api: Api;
/** The model API: every request it got, with its Authorization header. */
let llm: { url: string; server: http.Server; seen: { path: string; auth: string | undefined; model: string }[] };

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  own = await startIsolated();
  api = await Api.login(own.server.url, own.admin.login, own.admin.password);
  const seen: typeof llm.seen = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      const model = (() => {
        try {
          return String((JSON.parse(body) as { model?: string }).model ?? '');
        } catch {
          return '';
        }
      })();
      seen.push({ path: req.url ?? '', auth: req.headers.authorization, model });
      if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"not found"}}');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          id: 'chatcmpl-e2e',
          object: 'chat.completion',
          created: Math.floor(Date.now() / 1000),
          model,
          choices: [{ index: 0, message: { role: 'assistant', content: 'ок' }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 7, completion_tokens: 1, total_tokens: 8 },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  llm = { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`, server, seen };
});

test.afterAll(async () => {
  if (llm) await new Promise<void>((resolve) => llm.server.close(() => resolve()));
  if (own) await stopIsolated(own);
});

test('the model API is checked with a new key, saved, and the key is never shown again', async ({ page }) => {
  await login(page, own.server.url, own.admin);
  await page.goto(`${own.server.url}/admin/bot`);
  const panel = page.getByTestId('llm-panel');
  await expect(panel).toBeVisible();
  await expect(panel.getByTestId('llm-source')).toContainText('файла конфигурации');

  await panel.getByTestId('llm-enabled').check();
  await panel.getByTestId('llm-base_url').fill(llm.url);
  await panel.getByTestId('llm-router_model').fill('openai/gpt-5-mini');
  await panel.getByTestId('llm-api_key').fill(KEY);
  await panel.getByTestId('llm-check').click();
  await expect(panel.getByTestId('llm-check-result')).toHaveAttribute('data-ok', 'true');
  await expect(panel.getByTestId('llm-check-result')).toContainText('openai/gpt-5-mini');
  expect(llm.seen.at(-1)).toEqual({ path: '/api/v1/chat/completions', auth: `Bearer ${KEY}`, model: 'openai/gpt-5-mini' });
  // A check saves nothing.
  expect((await api.get<{ has_api_key: boolean; source: string }>('/bot/llm')).source).toBe('file');

  await panel.getByTestId('llm-save').click();
  await expect(panel.getByTestId('llm-notice')).toContainText('Сохранено');
  await shot(page, 'desktop-43-admin-bot-llm');

  await page.reload();
  await expect(panel.getByTestId('llm-source')).toContainText('Сохранено в консоли');
  await expect(panel.getByTestId('llm-api_key')).toHaveValue('');
  await expect(panel.getByTestId('field').filter({ has: page.getByTestId('llm-api_key') })).toContainText('Ключ задан');
  await expect(panel.getByTestId('llm-base_url')).toHaveValue(llm.url);
  const stored = await api.get<Record<string, unknown>>('/bot/llm');
  expect(stored).toMatchObject({ has_api_key: true, source: 'console' });
  expect(JSON.stringify(stored)).not.toContain(KEY);

  // A check of the saved settings uses the stored key without it being typed again.
  await panel.getByTestId('llm-check').click();
  await expect(panel.getByTestId('llm-check-result')).toHaveAttribute('data-ok', 'true');
  expect(llm.seen.at(-1)!.auth).toBe(`Bearer ${KEY}`);
});

test('a closed port fails the check; an out-of-range timeout is refused at its field', async ({ page }) => {
  await login(page, own.server.url, own.admin);
  await page.goto(`${own.server.url}/admin/bot`);
  const panel = page.getByTestId('llm-panel');
  await panel.getByTestId('llm-base_url').fill(`http://127.0.0.1:${await freePort()}/api/v1`);
  await panel.getByTestId('llm-check').click();
  await expect(panel.getByTestId('llm-check-result')).toHaveAttribute('data-ok', 'false');
  await expect(panel.getByTestId('llm-check-result')).toContainText('Не удалось');

  await panel.getByTestId('llm-base_url').fill(llm.url);
  await panel.getByTestId('llm-request_timeout_secs').fill('0');
  await panel.getByTestId('llm-save').click();
  const field = panel.locator('[data-testid="field-error"][data-field="settings.request_timeout_secs"]');
  await expect(field).toBeVisible();
  expect((await api.get<{ settings: { request_timeout_secs: number } }>('/bot/llm')).settings.request_timeout_secs).toBeGreaterThan(0);
});

// «База знаний» against the real server: an admin edits an article and the bot answers the next
// customer (writing in avito-sim) from the new text; «Проверить» shows fragments for the unsaved
// draft; JSON and Markdown files, an OpenCart SQL dump and an OpenCart shop in MariaDB are
// previewed, then imported. The imports run on a server of their own, so the shared harness's
// knowledge base (which the other specs' customers are answered from) stays the demo shop's.
import { spawnSync } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { Api, uniqueCustomer, type Message } from './support/api';
import { login, shot } from './support/browser';
import { expect, test } from './support/fixtures';
import { startIsolated, stopIsolated, type Isolated } from './support/isolated';
import { REPO_ROOT } from './support/paths';

// Answered from this article directly (no intent of the default workflow claims the question).
const QUESTION = 'Вы продаёте оригинальную технику?';
const OLD_TEXT = 'оригинальную технику, полученную от официальных дистрибьюторов';
const NEW_TEXT = 'оригинальную технику, полученную напрямую от производителей и официальных дистрибьюторов';

async function openKnowledge(page: Page, base: string) {
  await page.goto(`${base}/admin/knowledge`);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('База знаний');
  await expect(page.getByTestId('kb-category').first()).toBeVisible();
}

test('an admin edits an article and the bot answers the next customer from the new text', async ({ page, state, api, sim }) => {
  const base = state.server.url;
  await login(page, base, state.admin);
  await openKnowledge(page, base);
  await expect(page.locator('[data-testid="kb-category"][data-key="products"]')).toContainText('Товары');
  await shot(page, 'desktop-30-knowledge-articles');

  // Found by a form of a word the title has.
  await page.getByTestId('kb-search').fill('оригинальность');
  const row = page.locator('[data-testid="kb-article-row"][data-key="authenticity"]');
  await expect(row).toBeVisible();
  await expect(page.getByTestId('kb-article-row')).toHaveCount(1);
  await row.getByRole('link').click();
  await expect(page).toHaveURL(`${base}/admin/knowledge/articles/authenticity`);

  const body = page.getByTestId('kb-body');
  const before = await body.inputValue();
  expect(before).toContain(OLD_TEXT);
  await body.fill(before.replace(OLD_TEXT, NEW_TEXT));
  await expect(page.getByTestId('kb-preview')).toContainText(NEW_TEXT);
  await expect(page.getByTestId('kb-editor-state')).toHaveText('Есть несохранённые изменения');

  // The check against the unsaved draft: its fragment, marked as the draft, and the bot's answer from it.
  await page.getByTestId('kb-side-check').click();
  await page.getByTestId('kb-check-question').fill(QUESTION);
  await page.getByTestId('kb-check-run').click();
  // Each paragraph is a fragment of its own; the top one is the edited paragraph, from the draft.
  const fragment = page.getByTestId('kb-fragment').first();
  await expect(fragment).toHaveAttribute('data-article', 'authenticity');
  await expect(fragment).toHaveAttribute('data-used', 'true');
  await expect(fragment).toContainText('черновик');
  await expect(fragment).toContainText(NEW_TEXT);
  await expect(page.getByTestId('kb-check-answer-text')).toContainText(NEW_TEXT);
  await shot(page, 'desktop-31-knowledge-editor-check-draft');

  await page.getByTestId('kb-save').click();
  await expect(page.getByTestId('kb-editor-state')).toContainText('Сохранено: версия 2');

  // The next customer's question is answered from the saved text.
  const customer = uniqueCustomer('Светлана');
  const posted = await sim.customerWrites(1001, customer.id, customer.name, 700_001, QUESTION);
  const conversation = await api.waitConversation(posted.chat_id);
  const isBot = (m: Message) => m.author.kind === 'bot';
  const messages = await api.waitMessages(conversation.id, (ms) => ms.some(isBot));
  expect(messages.find(isBot)!.text).toContain(NEW_TEXT);
  await expect
    .poll(async () => (await sim.sentByApp(1001)).some((m) => m.chat_id === posted.chat_id && (m.text ?? '').includes(NEW_TEXT)), {
      message: 'the answer reached Avito',
    })
    .toBe(true);

  // The history: who changed what, as a diff; version 1 restored, so the shared demo text is back.
  await page.getByTestId('kb-side-history').click();
  const v2 = page.locator('[data-testid="kb-revision"][data-version="2"]');
  await expect(v2).toContainText('admin');
  await expect(v2).toContainText('правка в редакторе · текст');
  await expect(v2.getByTestId('kb-diff').locator('ins').first()).toContainText('напрямую');
  await expect(v2.getByTestId('kb-diff').locator('del')).toHaveCount(0);
  await shot(page, 'desktop-32-knowledge-history');
  page.once('dialog', (d) => void d.accept());
  await page.locator('[data-testid="kb-revision"][data-version="1"]').getByTestId('kb-restore').click();
  await expect(page.getByTestId('kb-editor-state')).toContainText('Восстановлена версия 1');
  await expect(body).toHaveValue(before);
  await expect(page.locator('[data-testid="kb-revision"][data-version="3"]')).toContainText('восстановлена версия 1');
  const restored = await api.get<{ body: string; version: number }>('/kb/articles/authenticity');
  expect([restored.version, restored.body]).toEqual([3, before]);
});

test('a category with articles is not deleted, and the screen says how many are in it', async ({ page, state, api }) => {
  const base = state.server.url;
  const cats = await api.get<{ key: string; title: string; articles: number }[]>('/kb/categories');
  const delivery = cats.find((c) => c.key === 'delivery')!;
  expect(delivery.articles).toBeGreaterThan(1);
  await login(page, base, state.admin);
  await openKnowledge(page, base);
  const row = page.locator('[data-testid="kb-category"][data-key="delivery"]');
  await expect(row.getByTestId('kb-category-count')).toHaveText(String(delivery.articles));
  page.once('dialog', (d) => void d.accept());
  await row.hover();
  await row.getByTestId('kb-category-delete').click();
  await expect(page.getByTestId('kb-category-error')).toHaveText(new RegExp(`^В категории «${delivery.title}» ещё ${delivery.articles} стать`));
  expect((await api.get<{ key: string }[]>('/kb/categories')).map((c) => c.key)).toContain('delivery');
});

test('two admins save one article: the second sees the first one\'s text and keeps or drops their own', async ({ page, state, api }) => {
  const base = state.server.url;
  // Unpublished: the bot never answers from it, so the other specs' customers are unaffected.
  const key = `e2e-conflict-${Date.now().toString(36)}`;
  const fields = { category: 'delivery', title: 'Конфликт правок', tags: [], published: false };
  await api.put(`/kb/articles/${key}`, { ...fields, body: 'Первая версия.', version: 0 });
  try {
    await login(page, base, state.admin);
    await page.goto(`${base}/admin/knowledge/articles/${key}`);
    await expect(page.getByTestId('kb-editor-state')).toHaveText(/версия 1/);
    await page.getByTestId('kb-body').fill('Мой текст из браузера.');
    // Meanwhile another admin saves from the same version.
    await api.put(`/kb/articles/${key}`, { ...fields, body: 'Их текст, сохранённый раньше.', version: 1 });
    await page.getByTestId('kb-save').click();
    const conflict = page.getByTestId('kb-conflict');
    await expect(conflict).toContainText('версия 2');
    await expect(conflict.locator('del').first()).toBeVisible();
    await shot(page, 'desktop-32b-knowledge-conflict');
    // Nothing of mine was written.
    expect((await api.get<{ body: string; version: number }>(`/kb/articles/${key}`)).version).toBe(2);
    await page.getByTestId('kb-conflict-keep').click();
    await expect(page.getByTestId('kb-body')).toHaveValue('Мой текст из браузера.');
    await page.getByTestId('kb-save').click();
    await expect(page.getByTestId('kb-editor-state')).toHaveText(/версия 3/);
    expect(await api.get<{ body: string; version: number }>(`/kb/articles/${key}`)).toMatchObject({ body: 'Мой текст из браузера.', version: 3 });
  } finally {
    await api.req('DELETE', `/kb/articles/${key}`);
  }
});

test('articles chosen on the list move into another category together', async ({ page, state, api }) => {
  const base = state.server.url;
  const stamp = Date.now().toString(36);
  // Unpublished: the bot never answers from them, so the other specs' customers are unaffected.
  const keys = [`e2e-move-a-${stamp}`, `e2e-move-b-${stamp}`];
  for (const key of keys) await api.put(`/kb/articles/${key}`, { category: 'delivery', title: `Перенос ${key}`, body: 'Текст.', tags: [], published: false, version: 0 });
  try {
    await login(page, base, state.admin);
    await page.goto(`${base}/admin/knowledge?q=${encodeURIComponent('Перенос')}`);
    await expect(page.getByTestId('kb-article-row')).toHaveCount(2);
    await page.getByTestId('kb-select-all').check();
    await page.getByTestId('kb-move-target').selectOption('payment');
    await page.getByTestId('kb-move').click();
    await expect(page.getByTestId('kb-move-result')).toContainText('Перенесено 2 статьи');
    for (const key of keys) expect((await api.get<{ category: string; version: number }>(`/kb/articles/${key}`))).toMatchObject({ category: 'payment', version: 2 });
    await expect(page.locator(`[data-testid="kb-article-row"][data-key="${keys[0]}"]`)).toContainText('Оплата');
  } finally {
    for (const key of keys) await api.req('DELETE', `/kb/articles/${key}`);
  }
});

// ---- imports, on a server of their own -------------------------------------------------------

const DUMP = path.join(REPO_ROOT, 'crates', 'frontline-import-opencart', 'fixtures', 'ocstore.sql');

const GIFTS_JSON = JSON.stringify({
  categories: [{ id: 'gifts', title: 'Подарки' }],
  articles: [
    {
      id: 'gift-wrap',
      category: 'gifts',
      title: 'Подарочная упаковка',
      body: 'Упакуем заказ в подарочную упаковку за 150 ₽: выберите её при оформлении.',
      tags: ['подарок', 'упаковка'],
    },
    { id: 'gift-cards', category: 'gifts', title: 'Подарочные сертификаты', body: 'Сертификаты на 1000, 3000 и 5000 ₽ действуют год.', tags: ['сертификат'] },
  ],
});

/** The connection of `FRONTLINE_TEST_MARIADB_URL` (as the Rust tests read it) for the `mariadb` client. */
function mariadbArgs(): { args: string[]; host: string; port: string; user: string; password: string } {
  const u = new URL(process.env.FRONTLINE_TEST_MARIADB_URL ?? 'mysql://root@127.0.0.1:3306/test');
  const host = u.hostname;
  const port = u.port || '3306';
  const user = decodeURIComponent(u.username || 'root');
  const password = decodeURIComponent(u.password);
  return { args: ['--protocol=tcp', '-h', host, '-P', port, '-u', user, ...(password ? [`-p${password}`] : [])], host, port, user, password };
}

function mariadb(sql: string, database?: string): void {
  const r = spawnSync('mariadb', [...mariadbArgs().args, ...(database ? [database] : [])], { input: sql, encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) {
    throw new Error(`mariadb failed (${r.error?.message ?? r.stderr.trim()}): start it with scripts/ensure-mariadb or point FRONTLINE_TEST_MARIADB_URL at a server where this user may create databases`);
  }
}

test.describe.serial('imports', () => {
  let own: Isolated;
  let shopDb: string | null = null;
  test.beforeAll(async () => {
    own = await startIsolated();
  });
  test.afterAll(async () => {
    if (shopDb) mariadb(`DROP DATABASE IF EXISTS \`${shopDb}\``);
    if (own) await stopIsolated(own);
  });

  async function openImport(page: Page) {
    await login(page, own.server.url, own.admin);
    await page.goto(`${own.server.url}/admin/knowledge/import`);
    await expect(page.getByTestId('kb-import')).toBeVisible();
  }

  test('a JSON file is previewed, then imported, and the check finds its article', async ({ page }) => {
    await openImport(page);
    await page.getByTestId('kb-import-file').setInputFiles({ name: 'gifts.json', mimeType: 'application/json', buffer: Buffer.from(GIFTS_JSON) });
    await expect(page.getByTestId('kb-import-format')).toHaveValue('json');
    await page.getByTestId('kb-import-preview-run').click();
    const preview = page.getByTestId('kb-import-preview');
    await expect(preview).toBeVisible();
    await expect(preview.locator('[data-action="create"][data-count="2"]')).toBeVisible();
    await expect(preview.getByTestId('kb-import-category-counts')).toContainText('новых 1');
    await expect(preview.getByTestId('kb-import-article')).toHaveCount(2);
    await shot(page, 'desktop-33-knowledge-import-preview');
    // A preview writes nothing.
    const ownApi = await Api.login(own.server.url, own.admin.login, own.admin.password);
    await expect(ownApi.get('/kb/articles/gift-wrap')).rejects.toMatchObject({ status: 404 });

    await page.getByTestId('kb-import-confirm').click();
    const done = page.getByTestId('kb-import-done');
    await expect(done).toBeVisible();
    await expect(done.locator('[data-action="create"][data-count="2"]')).toBeVisible();

    await page.getByTestId('kb-tab-articles').click();
    await expect(page.locator('[data-testid="kb-category"][data-key="gifts"]').getByTestId('kb-category-count')).toHaveText('2');
    await page.getByTestId('kb-tab-check').click();
    await page.getByTestId('kb-check-question').fill('Можно ли упаковать заказ в подарочную упаковку?');
    await page.getByTestId('kb-check-run').click();
    const top = page.getByTestId('kb-fragment').first();
    await expect(top).toHaveAttribute('data-article', 'gift-wrap');
    await expect(top.getByTestId('kb-fragment-confidence')).toHaveText(/^\d+%$/);
    await expect(top).toContainText('оценка');
    await shot(page, 'desktop-34-knowledge-check');
  });

  test('a Markdown file with problems shows them at their lines and cannot be imported; fixed, it is', async ({ page }) => {
    await openImport(page);
    const upload = async (text: string) => {
      await page.getByTestId('kb-import-file').setInputFiles({ name: 'faq.md', mimeType: 'text/markdown', buffer: Buffer.from(text) });
      await expect(page.getByTestId('kb-import-format')).toHaveValue('markdown');
      await page.getByTestId('kb-import-category').selectOption('gifts');
      await page.getByTestId('kb-import-preview-run').click();
    };
    await upload('вступление\n# Первая\nТекст.\n# Пустая\n\n');
    const problems = page.getByTestId('kb-import-problem');
    await expect(problems).toHaveCount(2);
    expect(await problems.evaluateAll((ps) => ps.map((p) => (p as HTMLElement).dataset.line))).toEqual(['1', '4']);
    await expect(problems.first()).toContainText('строка 1');
    await expect(page.getByTestId('kb-import-confirm')).toBeDisabled();

    await upload('# Упаковка для хрупкого\nХрупкие товары упаковываем в пузырчатую плёнку бесплатно.\n');
    await expect(page.getByTestId('kb-import-problems')).toHaveCount(0);
    await expect(page.getByTestId('kb-import-article')).toHaveAttribute('data-action', 'create');
    await page.getByTestId('kb-import-confirm').click();
    await expect(page.getByTestId('kb-import-done')).toBeVisible();
    await page.getByTestId('kb-tab-articles').click();
    await expect(page.locator('[data-testid="kb-category"][data-key="gifts"]').getByTestId('kb-category-count')).toHaveText('3');
  });

  test('an OpenCart SQL dump uploaded in the browser is previewed with its lines, then imported', async ({ page }) => {
    const dump = fs.readFileSync(DUMP, 'utf8');
    const line = dump.split('\n').findIndex((l) => l.startsWith("(52, 'Test product'")) + 1;
    expect(line).toBeGreaterThan(0);
    await openImport(page);
    await page.getByTestId('kb-import-source-opencart-dump').click();
    await page.getByTestId('kb-import-dump').setInputFiles(DUMP);
    await expect(page.getByTestId('kb-import-prefix')).toHaveValue('oc_');
    await page.getByTestId('kb-import-preview-run').click();
    const preview = page.getByTestId('kb-import-preview');
    await expect(preview.locator('[data-action="create"][data-count="21"]')).toBeVisible();
    const skipped = preview.locator('[data-testid="kb-import-article"][data-key="oc-product-52"]');
    await expect(skipped).toHaveAttribute('data-action', 'skip');
    await expect(skipped).toContainText(`строка ${line}`);
    await expect(skipped).toContainText('no text in the chosen language');
    await expect(preview.locator('[data-testid="kb-import-article"][data-key="oc-product-40"]')).toContainText('товар #40');
    await shot(page, 'desktop-35-knowledge-import-opencart-dump');
    await page.getByTestId('kb-import-confirm').click();
    await expect(page.getByTestId('kb-import-done').locator('[data-action="create"][data-count="21"]')).toBeVisible();

    await page.getByTestId('kb-tab-check').click();
    await page.getByTestId('kb-check-question').fill('Сколько стоит Xiaomi Redmi Note 13 Pro?');
    await page.getByTestId('kb-check-run').click();
    await expect(page.getByTestId('kb-fragment').first()).toHaveAttribute('data-article', 'oc-product-40');
    await expect(page.getByTestId('kb-check-answer-text')).toContainText('32 990 ₽');
  });

  test('the same shop read from its MariaDB database updates the articles in place', async ({ page }) => {
    shopDb = `oc_e2e_${process.pid}_${Date.now()}`;
    mariadb(`CREATE DATABASE \`${shopDb}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    mariadb(fs.readFileSync(DUMP, 'utf8'), shopDb);
    const c = mariadbArgs();
    const url = `mysql://${encodeURIComponent(c.user)}${c.password ? `:${encodeURIComponent(c.password)}` : ''}@${c.host}:${c.port}/${shopDb}`;

    await openImport(page);
    await page.getByTestId('kb-import-source-opencart-db').click();
    // A wrong prefix: the server names the table it looked for.
    await page.getByTestId('kb-import-db-url').fill(url);
    await page.getByTestId('kb-import-prefix').fill('shop_');
    await page.getByTestId('kb-import-preview-run').click();
    await expect(page.getByTestId('kb-import-error')).toContainText('shop_information');

    await page.getByTestId('kb-import-prefix').fill('oc_');
    await page.getByTestId('kb-import-preview-run').click();
    const preview = page.getByTestId('kb-import-preview');
    // Imported from the dump before: every article is the same, keyed by the shop's ids.
    await expect(preview.locator('[data-action="unchanged"][data-count="21"]')).toBeVisible();
    await expect(preview.locator('[data-action="create"][data-count="0"]')).toBeVisible();
    await expect(page.getByTestId('kb-import-confirm')).toBeDisabled();
    await expect(page.getByText('Импорт ничего не изменит.')).toBeVisible();

    // The shop changes a price; the preview says which article updates, and the import does it.
    mariadb("UPDATE oc_product SET price = 29990.0000 WHERE product_id = 40", shopDb);
    await page.getByTestId('kb-import-cancel').click();
    await page.getByTestId('kb-import-preview-run').click();
    await expect(preview.locator('[data-testid="kb-import-article"][data-key="oc-product-40"]')).toHaveAttribute('data-action', 'update');
    await page.getByTestId('kb-import-confirm').click();
    await expect(page.getByTestId('kb-import-done').locator('[data-testid="kb-import-article"][data-key="oc-product-40"]')).toHaveAttribute('data-action', 'update');
    await page.goto(`${own.server.url}/admin/knowledge/articles/oc-product-40`);
    await expect(page.getByTestId('kb-body')).toHaveValue(/29 990 ₽/);

    // A customer asks the price through an API account; the bot answers from the product, new price.
    const replies: { external_chat_id: string; message: { author: string; text: string } }[] = [];
    const hook = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        try {
          replies.push(JSON.parse(body) as (typeof replies)[number]);
        } catch {
          /* not a delivery */
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    try {
      const api = await Api.login(own.server.url, own.admin.login, own.admin.password);
      const shop = await api.post<{ account: { id: number }; inbound_token: string }>('/accounts', {
        kind: 'api',
        name: 'Сайт магазина',
        callback_url: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`,
      });
      const r = await fetch(`${own.server.url}/api/v1/inbound/${shop.account.id}/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${shop.inbound_token}` },
        body: JSON.stringify({ external_chat_id: 'price-1', external_message_id: 'price-1-m1', customer: { external_id: 'buyer-1', name: 'Анна' }, text: 'Сколько стоит Xiaomi Redmi Note 13 Pro?' }),
      });
      expect(r.status, await r.clone().text()).toBe(202);
      await expect
        .poll(() => replies.find((b) => b.external_chat_id === 'price-1' && b.message.author === 'bot')?.message.text ?? '', { timeout: 30_000 })
        .toContain('29 990 ₽');
    } finally {
      await new Promise<void>((resolve) => hook.close(() => resolve()));
    }
  });
});

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { createMemoryRouter, RouterProvider } from 'react-router';
import '../../shared/i18n';
import { KnowledgeSection } from './KnowledgeSection';
import { useKbCategories } from './categories';
import type { KbArticle, KbCategoryListed, KbImportResult, KbRevision } from './api';

// The server's side of `/api/v1/kb`, at the fetch level: answers shaped as the integration tests
// (crates/frontline/tests/it/knowledge.rs) show them, and every request recorded.
interface Sent {
  method: string;
  path: string;
  query: URLSearchParams;
  body: string | null;
}
let sent: Sent[] = [];
let routes: ((r: Sent) => { status?: number; json?: unknown } | undefined)[] = [];

const category = (key: string, title: string, position: number, articles: number): KbCategoryListed => ({
  key,
  title,
  position,
  articles,
  published_articles: articles,
  created_at: '2026-12-01T10:00:00Z',
  updated_at: '2026-12-01T10:00:00Z',
});
const article = (over: Partial<KbArticle> = {}): KbArticle => ({
  key: 'terms',
  category: 'delivery',
  title: 'Сроки доставки',
  body: 'Курьер привозит заказ за 2 дня.',
  tags: ['курьер'],
  published: true,
  version: 2,
  created_at: '2026-12-01T10:00:00Z',
  updated_at: '2026-12-02T10:00:00Z',
  ...over,
});
const revision = (version: number, over: Partial<KbRevision> = {}): KbRevision => ({
  version,
  category: 'delivery',
  title: 'Сроки доставки',
  body: 'Курьер привозит заказ за 2 дня.',
  tags: ['курьер'],
  published: true,
  source: 'editor',
  restored_from: null,
  author: { id: 1, name: 'admin' },
  created_at: '2026-12-01T10:00:00Z',
  changed: [],
  ...over,
});

beforeEach(() => {
  sent = [];
  routes = [];
  useKbCategories.setState({ list: [], loaded: false, error: null });
  vi.stubGlobal('fetch', async (input: string, init: RequestInit = {}) => {
    const url = new URL(input, 'http://app');
    const body = init.body === undefined || init.body === null ? null : typeof init.body === 'string' ? init.body : await (init.body as Blob).text();
    const r: Sent = { method: init.method ?? 'GET', path: url.pathname.replace('/api/v1', ''), query: url.searchParams, body };
    sent.push(r);
    for (const route of routes) {
      const answer = route(r);
      if (answer) return new Response(answer.json === undefined ? null : JSON.stringify(answer.json), { status: answer.status ?? 200 });
    }
    return new Response(JSON.stringify({ error: { code: 'not_found', message: `${r.method} ${r.path} not in this test` } }), { status: 404 });
  });
  vi.spyOn(window, 'confirm').mockReturnValue(true);
});
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

const on = (method: string, path: string, answer: (r: Sent) => { status?: number; json?: unknown }) =>
  routes.push((r) => (r.method === method && r.path === path ? answer(r) : undefined));

function open(path: string) {
  // A data router, as the app has: the editor holds navigation while it has unsaved edits.
  const router = createMemoryRouter([{ path: '/admin/knowledge/*', element: <KnowledgeSection /> }], { initialEntries: [path] });
  render(<RouterProvider router={router} />);
  return router;
}

const CATEGORIES = [category('delivery', 'Доставка', 1, 1), category('payment', 'Оплата', 2, 0)];

describe('«База знаний»', () => {
  it('lists categories with counts, reorders them, and says why one with articles is not deleted', async () => {
    on('GET', '/kb/categories', () => ({ json: CATEGORIES }));
    on('GET', '/kb/articles', () => ({ json: { total: 1, items: [article()] } }));
    on('PUT', '/kb/category-order', (r) => ({ json: (JSON.parse(r.body!) as { keys: string[] }).keys.map((k, i) => ({ ...CATEGORIES.find((c) => c.key === k)!, position: i + 1 })) }));
    on('DELETE', '/kb/categories/delivery', () => ({ status: 409, json: { error: { code: 'kb_category_not_empty', message: 'the category has 1 articles; move or delete them first', field: 'key' } } }));
    open('/admin/knowledge');

    const rows = await screen.findAllByTestId('kb-category');
    expect(rows.map((r) => r.dataset.key)).toEqual(['delivery', 'payment']);
    expect(within(rows[0]!).getByTestId('kb-category-count').textContent).toBe('1');
    expect(await screen.findByText('Сроки доставки')).toBeTruthy();

    fireEvent.click(within(rows[1]!).getByTestId('kb-category-up'));
    await waitFor(() => expect(screen.getAllByTestId('kb-category').map((r) => r.dataset.key)).toEqual(['payment', 'delivery']));
    expect(JSON.parse(sent.find((s) => s.path === '/kb/category-order')!.body!)).toEqual({ keys: ['payment', 'delivery'] });

    fireEvent.click(within(screen.getAllByTestId('kb-category')[1]!).getByTestId('kb-category-delete'));
    expect((await screen.findByTestId('kb-category-error')).textContent).toBe(
      'В категории «Доставка» ещё 1 статья: перенесите её в другую категорию или удалите, затем удаляйте категорию.',
    );
    // Any other failure keeps the server's words.
    routes.unshift((r) => (r.method === 'DELETE' ? { status: 403, json: { error: { code: 'forbidden', message: 'this action needs the admin role' } } } : undefined));
    fireEvent.click(within(screen.getAllByTestId('kb-category')[0]!).getByTestId('kb-category-delete'));
    await waitFor(() => expect(screen.getByTestId('kb-category-error').textContent).toBe('Недостаточно прав.'));
  });

  it('searches and filters through the list endpoint’s query', async () => {
    on('GET', '/kb/categories', () => ({ json: CATEGORIES }));
    on('GET', '/kb/articles', (r) => ({ json: r.query.get('q') === 'доставк' ? { total: 1, items: [article()] } : { total: 0, items: [] } }));
    open('/admin/knowledge?published=false');
    expect((await screen.findByTestId('kb-articles-empty')).textContent).toContain('Ничего не нашлось');
    expect(sent.find((s) => s.path === '/kb/articles')!.query.get('published')).toBe('false');

    fireEvent.change(screen.getByTestId('kb-filter-published'), { target: { value: 'all' } });
    fireEvent.change(screen.getByTestId('kb-search'), { target: { value: 'доставк' } });
    expect(await screen.findByText('Сроки доставки')).toBeTruthy();
    const last = sent.filter((s) => s.path === '/kb/articles').at(-1)!;
    expect([last.query.get('q'), last.query.get('published')]).toEqual(['доставк', null]);
    expect(screen.getByTestId('kb-articles-total').textContent).toContain('Найдена 1 статья');
  });

  it('loads a long list page by page', async () => {
    const all = Array.from({ length: 130 }, (_, i) => article({ key: `oc-product-${i}`, title: `Товар ${i}` }));
    on('GET', '/kb/categories', () => ({ json: CATEGORIES }));
    on('GET', '/kb/articles', (r) => {
      const offset = Number(r.query.get('offset') ?? 0);
      return { json: { total: all.length, items: all.slice(offset, offset + Number(r.query.get('limit'))) } };
    });
    open('/admin/knowledge');
    await waitFor(() => expect(screen.getAllByTestId('kb-article-row')).toHaveLength(100));
    fireEvent.click(screen.getByTestId('kb-articles-more'));
    await waitFor(() => expect(screen.getAllByTestId('kb-article-row')).toHaveLength(130));
    expect(sent.filter((s) => s.path === '/kb/articles').map((s) => [s.query.get('limit'), s.query.get('offset')])).toEqual([
      ['100', null],
      ['100', '100'],
    ]);
    expect(screen.queryByTestId('kb-articles-more')).toBeNull();
  });

  it('edits an article with a live preview, saves it, shows its history as a diff and restores a version', async () => {
    let stored = article();
    let history = [revision(2, { body: 'Курьер привозит заказ за 2 дня. Звонит за час.', changed: ['body'] }), revision(1)];
    on('GET', '/kb/categories', () => ({ json: CATEGORIES }));
    on('GET', '/kb/articles/terms', () => ({ json: stored }));
    on('GET', '/kb/articles/terms/history', () => ({ json: history }));
    on('PUT', '/kb/articles/terms', (r) => {
      stored = { ...stored, ...(JSON.parse(r.body!) as Partial<KbArticle>), version: stored.version + 1 };
      history = [revision(stored.version, { body: stored.body, changed: ['body'] }), ...history];
      return { json: stored };
    });
    on('POST', '/kb/articles/terms/restore', (r) => {
      const v = (JSON.parse(r.body!) as { version: number }).version;
      stored = { ...stored, body: history.find((h) => h.version === v)!.body, version: stored.version + 1 };
      history = [revision(stored.version, { body: stored.body, source: 'restore', restored_from: v, changed: ['body'] }), ...history];
      return { json: stored };
    });
    open('/admin/knowledge/articles/terms');

    const body = (await screen.findByTestId('kb-body')) as HTMLTextAreaElement;
    expect(body.value).toBe('Курьер привозит заказ за 2 дня.');
    // The newest version opens with its diff against the one before.
    expect((await screen.findByTestId('kb-diff')).innerHTML).toBe('<span>Курьер привозит заказ за 2 дня.</span><ins> Звонит за час.</ins>');
    expect((screen.getByTestId('kb-save') as HTMLButtonElement).disabled).toBe(true);

    fireEvent.change(body, { target: { value: 'Курьер привозит заказ **за 1 день**.\n<b>x</b>' } });
    await waitFor(() => expect(screen.getByTestId('kb-preview').innerHTML).toContain('<strong>за 1 день</strong>'));
    expect(screen.getByTestId('kb-preview').innerHTML).toContain('&lt;b&gt;x&lt;/b&gt;');
    expect(screen.getByTestId('kb-editor-state').textContent).toBe('Есть несохранённые изменения');
    fireEvent.click(screen.getByTestId('kb-save'));
    expect((await screen.findByTestId('kb-editor-state')).textContent).toMatch(/Сохранено: версия 3/);
    expect(JSON.parse(sent.find((s) => s.method === 'PUT')!.body!)).toEqual({
      category: 'delivery',
      title: 'Сроки доставки',
      body: 'Курьер привозит заказ **за 1 день**.\n<b>x</b>',
      tags: ['курьер'],
      published: true,
      // The version the edit started from: the server refuses the save if it moved since.
      version: 2,
    });

    await waitFor(() => expect(screen.getAllByTestId('kb-revision').map((r) => r.dataset.version)).toEqual(['3', '2', '1']));
    const first = screen.getAllByTestId('kb-revision').find((r) => r.dataset.version === '1')!;
    fireEvent.click(within(first).getByTestId('kb-restore'));
    await waitFor(() => expect(body.value).toBe('Курьер привозит заказ за 2 дня.'));
    expect(JSON.parse(sent.find((s) => s.path.endsWith('/restore'))!.body!)).toEqual({ version: 1 });
    expect(await screen.findByText(/^восстановлена версия 1/)).toBeTruthy();
  });

  it('a new article refuses a bad key before sending anything, and never overwrites an existing one', async () => {
    on('GET', '/kb/categories', () => ({ json: CATEGORIES }));
    // As the server answers a save from version 0 over an existing key.
    on('PUT', '/kb/articles/sroki', () => ({ status: 409, json: { error: { code: 'kb_article_conflict', message: 'an article with this key was created meanwhile: version 2', field: 'version' }, current: article({ key: 'sroki' }) } }));
    open('/admin/knowledge/new?category=payment');
    fireEvent.change(await screen.findByTestId('kb-title'), { target: { value: 'Сроки' } });
    expect((screen.getByTestId('kb-key') as HTMLInputElement).value).toBe('sroki');
    expect((screen.getByTestId('kb-category-select') as HTMLSelectElement).value).toBe('payment');
    fireEvent.change(screen.getByTestId('kb-body'), { target: { value: 'Текст.' } });
    fireEvent.click(screen.getByTestId('kb-save'));
    expect(await screen.findByText('Статья с ключом «sroki» уже есть: выберите другой ключ.')).toBeTruthy();
    fireEvent.change(screen.getByTestId('kb-key'), { target: { value: 'Bad Key' } });
    fireEvent.click(screen.getByTestId('kb-save'));
    expect(await screen.findByText(/Ключ: латинские строчные буквы/)).toBeTruthy();
    const puts = sent.filter((s) => s.method === 'PUT');
    expect(puts.map((p) => [p.path, (JSON.parse(p.body!) as { version: number }).version])).toEqual([['/kb/articles/sroki', 0]]);
  });

  it('leaving an unsaved edit inside the app asks first: stay keeps the text, leave goes', async () => {
    on('GET', '/kb/categories', () => ({ json: CATEGORIES }));
    on('GET', '/kb/articles/terms', () => ({ json: article() }));
    on('GET', '/kb/articles/terms/history', () => ({ json: [revision(2)] }));
    on('GET', '/kb/articles', () => ({ json: { total: 0, items: [] } }));
    const router = open('/admin/knowledge/articles/terms');
    fireEvent.change(await screen.findByTestId('kb-body'), { target: { value: 'Несохранённый текст.' } });
    const confirm = vi.spyOn(window, 'confirm').mockReturnValueOnce(false).mockReturnValueOnce(true);
    fireEvent.click(screen.getByText('← К статьям'));
    await waitFor(() => expect(confirm).toHaveBeenCalledTimes(1));
    expect(confirm.mock.calls[0]![0]).toMatch(/не сохранена/);
    expect(router.state.location.pathname).toBe('/admin/knowledge/articles/terms');
    expect((screen.getByTestId('kb-body') as HTMLTextAreaElement).value).toBe('Несохранённый текст.');
    fireEvent.click(screen.getByText('← К статьям'));
    await waitFor(() => expect(router.state.location.pathname).toBe('/admin/knowledge'));
    confirm.mockRestore();
  });

  it('a save refused because someone else saved meanwhile shows their text and keeps mine', async () => {
    on('GET', '/kb/categories', () => ({ json: CATEGORIES }));
    on('GET', '/kb/articles/terms', () => ({ json: article() }));
    on('GET', '/kb/articles/terms/history', () => ({ json: [revision(2)] }));
    let theirs = true;
    on('PUT', '/kb/articles/terms', (r) => {
      const req = JSON.parse(r.body!) as KbArticle;
      if (theirs) {
        theirs = false;
        return { status: 409, json: { error: { code: 'kb_article_conflict', message: 'the article was changed meanwhile: version 3, not 2', field: 'version' }, current: article({ version: 3, body: 'Курьер привозит заказ за 5 дней.' }) } };
      }
      return { json: article({ ...req, version: 4 }) };
    });
    open('/admin/knowledge/articles/terms');
    fireEvent.change(await screen.findByTestId('kb-body'), { target: { value: 'Курьер привозит заказ за 1 день.' } });
    fireEvent.click(screen.getByTestId('kb-save'));
    const conflict = await screen.findByTestId('kb-conflict');
    expect(conflict.textContent).toMatch(/версия 3/);
    // Their words struck through, mine marked.
    const words = (sel: string) => [...conflict.querySelectorAll(sel)].map((e) => e.textContent).join(' ');
    expect(words('del')).toMatch(/5/);
    expect(words('ins')).toMatch(/1/);
    fireEvent.click(screen.getByTestId('kb-conflict-keep'));
    expect((screen.getByTestId('kb-body') as HTMLTextAreaElement).value).toBe('Курьер привозит заказ за 1 день.');
    fireEvent.click(screen.getByTestId('kb-save'));
    expect((await screen.findByTestId('kb-editor-state')).textContent).toMatch(/версия 4/);
    const versions = sent.filter((s) => s.method === 'PUT').map((p) => (JSON.parse(p.body!) as { version: number }).version);
    expect(versions).toEqual([2, 3]);
  });

  it('checks a question against the unsaved draft and shows fragments, scores and the answer', async () => {
    on('GET', '/kb/categories', () => ({ json: CATEGORIES }));
    on('GET', '/kb/articles/terms', () => ({ json: article() }));
    on('GET', '/kb/articles/terms/history', () => ({ json: [revision(2)] }));
    on('POST', '/kb/check', (r) => {
      const req = JSON.parse(r.body!) as { question: string; draft: { body: string } | null };
      return {
        json: {
          fragments: [
            { article_key: 'terms', category: 'delivery', title: 'Сроки доставки', text: req.draft?.body ?? 'сохранённый', score: 7.25, confidence: 0.8, draft: req.draft !== null, used: true },
            { article_key: 'pickup', category: 'delivery', title: 'Самовывоз', text: 'Заберите заказ.', score: 1.5, confidence: 0.3, draft: false, used: false },
          ],
          answer: { action: 'answer', stage: 'knowledge', text: req.draft?.body ?? 'сохранённый', intent: null, confidence: 0.8, article_ids: ['terms'], handoff_reason: null, note: 'no intent; answered from the knowledge base' },
          answer_threshold: 0.5,
          direct_threshold: 0.75,
        },
      };
    });
    open('/admin/knowledge/articles/terms');
    fireEvent.change(await screen.findByTestId('kb-body'), { target: { value: 'Курьер привозит заказ за 1 день.' } });
    fireEvent.click(screen.getByTestId('kb-side-check'));
    fireEvent.change(screen.getByTestId('kb-check-question'), { target: { value: 'Сколько идёт доставка?' } });
    fireEvent.click(screen.getByTestId('kb-check-run'));

    expect((await screen.findByTestId('kb-check-answer-text')).textContent).toBe('Курьер привозит заказ за 1 день.');
    const req = JSON.parse(sent.find((s) => s.path === '/kb/check')!.body!);
    expect(req).toEqual({ question: 'Сколько идёт доставка?', category: null, draft: { key: 'terms', category: 'delivery', title: 'Сроки доставки', body: 'Курьер привозит заказ за 1 день.', tags: ['курьер'], published: true } });
    const fragments = screen.getAllByTestId('kb-fragment');
    expect(fragments.map((f) => [f.dataset.article, f.dataset.used])).toEqual([
      ['terms', 'true'],
      ['pickup', 'false'],
    ]);
    expect(within(fragments[0]!).getByText('черновик')).toBeTruthy();
    expect(within(fragments[0]!).getByTestId('kb-fragment-confidence').className).toContain('kb-level-direct');
    expect(within(fragments[1]!).getByTestId('kb-fragment-confidence').textContent).toBe('30%');
    expect(screen.getByTestId('kb-check-answer').textContent).toContain('Ответит');
  });

  it('imports a file only after its preview, and a file with problems cannot be confirmed', async () => {
    const preview = (over: Partial<KbImportResult>): KbImportResult => ({
      dry_run: true,
      stats: { categories_created: 0, categories_updated: 0, articles_created: 1, articles_updated: 0, articles_unchanged: 0 },
      skipped: 0,
      categories: [],
      articles: [{ key: 'ok', category: 'delivery', title: 'Хорошая', published: true, action: 'create', line: 2, item: 1, source: null, reason: null }],
      problems: [],
      ...over,
    });
    on('GET', '/kb/categories', () => ({ json: CATEGORIES }));
    on('POST', '/kb/import', (r) => {
      if (r.body!.includes(',,')) {
        return {
          json: preview({
            articles: [{ key: 'no-title', category: 'delivery', title: '', published: true, action: 'skip', line: 3, item: 2, source: null, reason: 'must be 1 to 200 characters' }],
            problems: [{ line: 3, item: 2, key: 'no-title', field: 'title', message: 'line 3 `no-title`: must be 1 to 200 characters' }],
          }),
        };
      }
      return { json: r.query.get('dry_run') === 'true' ? preview({}) : preview({ dry_run: false }) };
    });
    open('/admin/knowledge/import');

    const upload = async (name: string, text: string) => {
      fireEvent.change(await screen.findByTestId('kb-import-file'), { target: { files: [new File([text], name, { type: 'text/csv' })] } });
      await waitFor(() => expect((screen.getByTestId('kb-import-preview-run') as HTMLButtonElement).disabled).toBe(false));
      fireEvent.click(screen.getByTestId('kb-import-preview-run'));
    };
    await upload('broken.csv', 'id,category,title,body\nno-title,delivery,,Текст.\n');
    const problem = await screen.findByTestId('kb-import-problem');
    expect(problem.dataset.line).toBe('3');
    expect(problem.textContent).toContain('строка 3');
    expect((screen.getByTestId('kb-import-confirm') as HTMLButtonElement).disabled).toBe(true);
    expect((screen.getByTestId('kb-import-format') as HTMLSelectElement).value).toBe('csv');

    await upload('good.csv', 'id,category,title,body\nok,delivery,Хорошая,Текст.\n');
    const row = await screen.findByTestId('kb-import-article');
    expect([row.dataset.key, row.dataset.action]).toEqual(['ok', 'create']);
    expect(sent.filter((s) => s.path === '/kb/import').map((s) => [s.query.get('format'), s.query.get('dry_run')])).toEqual([
      ['csv', 'true'],
      ['csv', 'true'],
    ]);
    fireEvent.click(screen.getByTestId('kb-import-confirm'));
    expect(await screen.findByTestId('kb-import-done')).toBeTruthy();
    const done = sent.filter((s) => s.path === '/kb/import').at(-1)!;
    expect([done.query.get('dry_run'), done.body]).toEqual(['false', 'id,category,title,body\nok,delivery,Хорошая,Текст.\n']);
  });
});

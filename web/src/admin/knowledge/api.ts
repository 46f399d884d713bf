// The knowledge base's calls, `/api/v1/kb/...`. The wire types mirror
// crates/frontline-api/src/dto/knowledge.rs field for field: the console's endpoints (counts, order,
// history, previews, the check) are not in schema.d.ts yet, so until it is regenerated they are
// written here once, and the calls go through `fetch` with the same error shape as `unwrap`.
import { ApiError, reportSessionEnd } from '../../shared/api/client';

export interface KbCategory {
  key: string;
  title: string;
  /** 1, 2, … in the editor's order. */
  position: number;
  created_at: string;
  updated_at: string;
}

/** A category with how many articles it holds (`KbCategoryListed`). */
export interface KbCategoryListed extends KbCategory {
  articles: number;
  published_articles: number;
}

export interface KbArticle {
  key: string;
  category: string;
  title: string;
  body: string;
  tags: string[];
  /** Unpublished articles are kept but never used to answer. */
  published: boolean;
  version: number;
  created_at: string;
  updated_at: string;
}

/** What the editor sends: `KbArticleRequest` (the key is in the path). */
export interface KbArticleFields {
  category: string;
  title: string;
  body: string;
  tags: string[];
  published: boolean;
}

/** 409 `kb_article_conflict`: saved, created or deleted by someone else since the edit's version. */
export class KbArticleConflictError extends ApiError {
  constructor(
    message: string,
    /** The article as it is stored now; `null` when it was deleted. */
    readonly current: KbArticle | null,
  ) {
    super(409, 'kb_article_conflict', message, 'version');
  }
}

export interface KbArticlePage {
  /** Matching articles before `limit`/`offset`. */
  total: number;
  items: KbArticle[];
}

/** The query of `GET /kb/articles`. */
export interface KbArticleQuery {
  category?: string;
  published?: boolean;
  tag?: string;
  q?: string;
  key_prefix?: string;
  limit?: number;
  offset?: number;
}

export interface KbAuthor {
  id: number;
  /** `null` when the operator no longer exists. */
  name: string | null;
}

export type KbRevisionField = 'category' | 'title' | 'body' | 'tags' | 'published';

export interface KbRevision {
  version: number;
  category: string;
  title: string;
  body: string;
  tags: string[];
  published: boolean;
  /** `editor`, `import` or `restore`. */
  source: string;
  restored_from: number | null;
  /** `null` for the system (the demo seed, a script). */
  author: KbAuthor | null;
  created_at: string;
  /** Fields changed from the version before; empty for the first. */
  changed: KbRevisionField[];
}

export type KbImportAction = 'create' | 'update' | 'unchanged' | 'skip';

export interface KbImportStats {
  categories_created: number;
  categories_updated: number;
  articles_created: number;
  articles_updated: number;
  articles_unchanged: number;
}

export interface KbImportedCategory {
  key: string;
  title: string;
  action: KbImportAction;
}

export interface KbImportSource {
  /** `information`, `category` or `product`. */
  kind: string;
  id: number;
}

export interface KbImportedArticle {
  key: string;
  category: string;
  title: string;
  published: boolean;
  action: KbImportAction;
  line: number | null;
  item: number | null;
  source: KbImportSource | null;
  reason: string | null;
}

export interface KbImportProblem {
  line: number | null;
  item: number | null;
  key: string | null;
  field: string | null;
  message: string;
}

export interface KbImportResult {
  /** `true`: nothing was written. */
  dry_run: boolean;
  stats: KbImportStats;
  skipped: number;
  categories: KbImportedCategory[];
  articles: KbImportedArticle[];
  problems: KbImportProblem[];
}

export type KbFileFormat = 'json' | 'csv' | 'markdown';

export interface KbOpencartSettings {
  /** The shop's table prefix (`oc_`). */
  prefix: string;
  /** `oc_language.language_id` of the texts (1). */
  language_id: number;
}

export interface KbFragment {
  article_key: string;
  category: string;
  title: string;
  text: string;
  /** BM25 with boosts: orders the hits of one query only. */
  score: number;
  /** The share of the query's words found, in [0, 1]; what answer thresholds use. */
  confidence: number;
}

export interface KbCheckFragment extends KbFragment {
  /** From the unsaved draft. */
  draft: boolean;
  /** The bot's answer cites its article. */
  used: boolean;
}

export interface KbCheckDraft extends KbArticleFields {
  key: string;
}

export interface KbCheckAnswer {
  /** `answer`, `ask_slot`, `clarify`, `handoff`, `fallback` or `ignore`. */
  action: string;
  /** `human`, `trigger`, `classifier`, `llm`, `knowledge` or `policy`. */
  stage: string | null;
  text: string | null;
  intent: string | null;
  confidence: number | null;
  article_ids: string[];
  handoff_reason: string | null;
  note: string | null;
}

export interface KbCheckResult {
  fragments: KbCheckFragment[];
  /** `null` when the bot is off. */
  answer: KbCheckAnswer | null;
  answer_threshold: number | null;
  direct_threshold: number | null;
}

type Query = Record<string, string | number | boolean | undefined>;

/** `?a=1&b=x` of the defined values. */
export function queryString(q: Query): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
}

const path = (key: string) => encodeURIComponent(key);

/** A call to the API; a failure becomes an ApiError with the server's code, message and field. */
async function call<T>(method: string, url: string, opts: { json?: unknown; body?: BodyInit; type?: string; query?: Query } = {}): Promise<T> {
  const headers: Record<string, string> = {};
  let body: BodyInit | undefined = opts.body;
  if (opts.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(opts.json);
  } else if (opts.type) {
    headers['Content-Type'] = opts.type;
  }
  let r: Response;
  try {
    r = await fetch(`/api/v1${url}${queryString(opts.query ?? {})}`, { method, headers, body, credentials: 'same-origin' });
  } catch (e) {
    throw new ApiError(0, 'network', e instanceof Error ? e.message : String(e));
  }
  const text = await r.text();
  let data: unknown = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!r.ok) {
    const err = (data as { error?: { code?: string; message?: string; field?: string } } | null)?.error;
    const code = err?.code ?? `http_${r.status}`;
    if (r.status === 401) reportSessionEnd(err?.code);
    if (r.status === 409 && code === 'kb_article_conflict') {
      throw new KbArticleConflictError(err?.message ?? r.statusText, (data as { current?: KbArticle | null }).current ?? null);
    }
    throw new ApiError(r.status, code, err?.message ?? r.statusText, err?.field);
  }
  return data as T;
}

export const listCategories = () => call<KbCategoryListed[]>('GET', '/kb/categories');
export const putCategory = (key: string, title: string) => call<KbCategory>('PUT', `/kb/categories/${path(key)}`, { json: { title } });
export const deleteCategory = (key: string) => call<null>('DELETE', `/kb/categories/${path(key)}`);
export const reorderCategories = (keys: string[]) => call<KbCategory[]>('PUT', '/kb/category-order', { json: { keys } });

export const listArticles = (q: KbArticleQuery) => call<KbArticlePage>('GET', '/kb/articles', { query: { ...q } });
export const getArticle = (key: string) => call<KbArticle>('GET', `/kb/articles/${path(key)}`);
/** `version`: the one the edit started from (0 for a new article); a stale one throws {@link KbArticleConflictError}. */
export const putArticle = (key: string, a: KbArticleFields, version?: number) =>
  call<KbArticle>('PUT', `/kb/articles/${path(key)}`, { json: version === undefined ? a : { ...a, version } });
/** Move articles into `category` together: all or, on an unknown key or category, none. */
export const moveArticles = (keys: string[], category: string) => call<{ articles: KbArticle[]; moved: number }>('POST', '/kb/article-moves', { json: { keys, category } });
export const deleteArticle = (key: string) => call<null>('DELETE', `/kb/articles/${path(key)}`);
export const articleHistory = (key: string) => call<KbRevision[]>('GET', `/kb/articles/${path(key)}/history`);
export const restoreArticle = (key: string, version: number) => call<KbArticle>('POST', `/kb/articles/${path(key)}/restore`, { json: { version } });

export function checkQuestion(question: string, opts: { category?: string | null; draft?: KbCheckDraft | null } = {}) {
  return call<KbCheckResult>('POST', '/kb/check', {
    json: { question, category: opts.category || null, draft: opts.draft ?? null },
  });
}

/** A JSON, CSV or Markdown file; Markdown articles all go to `category`. */
export function importFile(text: string, format: KbFileFormat, opts: { category?: string; dryRun: boolean }) {
  return call<KbImportResult>('POST', '/kb/import', {
    body: text,
    type: 'text/plain; charset=utf-8',
    query: { format, category: format === 'markdown' ? opts.category : undefined, dry_run: opts.dryRun },
  });
}

/** A shop read from its database; the URL is sent for this import only. */
export function importOpencart(databaseUrl: string, s: KbOpencartSettings, dryRun: boolean) {
  return call<KbImportResult>('POST', '/kb/import/opencart', {
    json: { database_url: databaseUrl, prefix: s.prefix, language_id: s.language_id, dry_run: dryRun },
  });
}

/** A shop from an SQL dump (the file itself is the body: up to 64 MiB). */
export function importOpencartDump(dump: Blob, s: KbOpencartSettings, dryRun: boolean) {
  return call<KbImportResult>('POST', '/kb/import/opencart/dump', {
    body: dump,
    type: 'application/sql',
    query: { prefix: s.prefix, language_id: s.language_id, dry_run: dryRun },
  });
}

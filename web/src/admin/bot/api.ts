// The «Бот» section's calls, `/api/v1/bot/config/...`. A refused configuration (422
// `bot_config_invalid`) carries every problem with its field, which `unwrap` would drop: those
// calls keep them on the error.
import { api, ApiError } from '../../shared/api/client';
import type { components } from '../../shared/api/schema';
import type { BotDocument } from './logic/document';
import type { Problem } from './logic/problems';

type S = components['schemas'];
export type BotConfigState = S['BotConfigState'];
export type BotConfigDraft = S['BotConfigDraft'];
export type BotConfigVersion = S['BotConfigVersion'];

/** An API failure with the configuration's problems (`error.fields`), when it was refused for them. */
export class BotConfigError extends ApiError {
  constructor(
    status: number,
    code: string,
    message: string,
    field: string | undefined,
    readonly problems: Problem[],
  ) {
    super(status, code, message, field);
  }
}

interface Result<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

async function call<T>(p: Promise<Result<T>>): Promise<T> {
  let r: Result<T>;
  try {
    r = await p;
  } catch (e) {
    throw new BotConfigError(0, 'network', e instanceof Error ? e.message : String(e), undefined, []);
  }
  if (r.error !== undefined || !r.response.ok) {
    const err = (r.error as { error?: { code?: string; message?: string; field?: string | null; fields?: Problem[] | null } } | undefined)?.error;
    throw new BotConfigError(
      r.response.status,
      err?.code ?? `http_${r.response.status}`,
      err?.message ?? r.response.statusText,
      err?.field ?? undefined,
      Array.isArray(err?.fields) ? err.fields : [],
    );
  }
  return r.data as T;
}

const version = (v: number) => ({ params: { path: { version: v } } });
const wire = (doc: BotDocument) => doc as unknown as Record<string, never>;

export const getState = () => call(api.GET('/api/v1/bot/config'));
export const listVersions = () => call(api.GET('/api/v1/bot/config/versions'));
export const getVersion = (v: number) => call(api.GET('/api/v1/bot/config/versions/{version}', version(v)));
export const saveDraft = (document: BotDocument, revision: number | null, basedOn: number | null) =>
  call(api.PUT('/api/v1/bot/config/draft', { body: { document: wire(document), revision, based_on: basedOn } }));
export const discardDraft = () => call(api.DELETE('/api/v1/bot/config/draft'));
export const publish = (note: string) => call(api.POST('/api/v1/bot/config/publish', { body: { note: note.trim() || null } }));
export const rollback = (v: number) => call(api.POST('/api/v1/bot/config/versions/{version}/rollback', version(v)));
/** The export: the version's `bot.json`, downloaded with the session cookie. */
export const exportUrl = (v: number) => `/api/v1/bot/config/versions/${v}/document`;

export const documentOf = (x: { document?: unknown }): BotDocument | null =>
  typeof x.document === 'object' && x.document !== null && !Array.isArray(x.document) ? (x.document as BotDocument) : null;

export const problemsOf = (e: unknown): Problem[] => (e instanceof BotConfigError ? e.problems : []);

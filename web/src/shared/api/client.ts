// The typed API client (openapi-fetch over the generated schema), same-origin with the session cookie.
import createClient, { type Middleware } from 'openapi-fetch';
import type { paths } from './schema';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

let onSessionEnded: (() => void) | null = null;

/** Called on a 401 `unauthorized`/`invalid_token` (not on the login call itself). */
export function setSessionEndedHandler(fn: (() => void) | null): void {
  onSessionEnded = fn;
}

/** A 401 with this code (from a call made without the typed client) ends the session. */
export function reportSessionEnd(code: string | undefined): void {
  if (onSessionEnded && (code === 'unauthorized' || code === 'invalid_token' || code === undefined)) onSessionEnded();
}

const sessionGuard: Middleware = {
  async onResponse({ request, response }) {
    if (response.status === 401 && !request.url.includes('/auth/login') && onSessionEnded) {
      const body = (await response.clone().json().catch(() => null)) as { error?: { code?: string } } | null;
      reportSessionEnd(body?.error?.code);
    }
    return response;
  },
};

export const api = createClient<paths>({ baseUrl: '', credentials: 'same-origin' });
api.use(sessionGuard);

interface FetchResult<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** The data of a response, or an ApiError with the server's code and message. */
export async function unwrap<T>(p: Promise<FetchResult<T>>): Promise<T> {
  let r: FetchResult<T>;
  try {
    r = await p;
  } catch (e) {
    throw new ApiError(0, 'network', e instanceof Error ? e.message : String(e));
  }
  if (r.error !== undefined || !r.response.ok) {
    const err = (r.error as { error?: { code?: string; message?: string; field?: string } } | undefined)?.error;
    throw new ApiError(r.response.status, err?.code ?? 'http_' + r.response.status, err?.message ?? r.response.statusText, err?.field);
  }
  return r.data as T;
}

/** Upload a file for an attachment, reporting progress (fetch cannot, so XHR). */
export function uploadMedia(
  file: File,
  onProgress: (fraction: number) => void,
): Promise<{ id: number; url: string; mime: string; size: number }> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `/api/v1/media?name=${encodeURIComponent(file.name)}`);
    xhr.withCredentials = true;
    xhr.setRequestHeader('Content-Type', file.type || 'application/octet-stream');
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    };
    xhr.onload = () => {
      let body: unknown = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = null;
      }
      if (xhr.status >= 200 && xhr.status < 300) {
        resolve(body as { id: number; url: string; mime: string; size: number });
      } else {
        const err = (body as { error?: { code?: string; message?: string } } | null)?.error;
        if (xhr.status === 401) onSessionEnded?.();
        reject(new ApiError(xhr.status, err?.code ?? 'http_' + xhr.status, err?.message ?? xhr.statusText));
      }
    };
    xhr.onerror = () => reject(new ApiError(0, 'network', 'network error'));
    xhr.send(file);
  });
}

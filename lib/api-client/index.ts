import type { ApiErrorBody, ClientErrorCode, ErrorCode, FieldIssue } from '@/lib/errors';

/**
 * The one way client components call our API. It sends JSON, reads JSON, and turns every
 * failure into an `ApiError` carrying the server's error vocabulary (lib/errors.ts) — including
 * answers that are not ours at all: a proxy's HTML 502 or a dropped connection become readable
 * messages instead of "Unexpected token <". Components never call fetch or parse answers.
 *
 * @example
 * try {
 *   const { attempt } = await api.post<{ attempt: AttemptView }>(`/api/quizzes/${id}/attempts`);
 * } catch (e) {
 *   setError(errorMessage(e)); // "Sign in first." / "Could not reach the server. …"
 * }
 */

export class ApiError extends Error {
  constructor(
    /** Our error code, or `network` (no answer) / `bad_response` (an answer that is not ours). */
    readonly code: ErrorCode | ClientErrorCode,
    message: string,
    /** HTTP status; 0 when there was no answer. */
    readonly status: number,
    readonly fields: FieldIssue[] = [],
    readonly retryAfterSeconds?: number,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface RequestOptions {
  signal?: AbortSignal;
  /** Send the request even when the page is being closed (sign-out, last sync). */
  keepalive?: boolean;
}

async function request<T>(method: string, url: string, body?: unknown, opts: RequestOptions = {}): Promise<T> {
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: opts.signal,
      keepalive: opts.keepalive,
      credentials: 'same-origin',
    });
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    throw new ApiError('network', 'Could not reach the server. Check your connection and try again.', 0);
  }
  const text = await res.text().catch(() => '');
  let data: unknown;
  try {
    data = text === '' ? undefined : JSON.parse(text);
  } catch {
    throw new ApiError(
      'bad_response',
      res.ok
        ? 'The server sent an answer this page cannot read. Reload the page and try again.'
        : `The server is not answering properly (HTTP ${res.status}). Try again in a moment.`,
      res.status,
    );
  }
  if (res.ok) return data as T;
  const err = errorBody(data);
  if (!err) throw new ApiError('bad_response', `The server answered ${res.status} without saying why. Try again in a moment.`, res.status);
  const retryHeader = Number(res.headers.get('retry-after'));
  throw new ApiError(
    err.code,
    err.message,
    res.status,
    err.fields ?? [],
    err.retryAfterSeconds ?? (Number.isFinite(retryHeader) && retryHeader > 0 ? retryHeader : undefined),
    err.details,
  );
}

function errorBody(data: unknown): ApiErrorBody | null {
  if (typeof data !== 'object' || data === null || !('error' in data)) return null;
  const e = (data as { error: unknown }).error;
  if (typeof e !== 'object' || e === null) return null;
  const { code, message } = e as { code?: unknown; message?: unknown };
  if (typeof code !== 'string' || typeof message !== 'string') return null;
  return e as ApiErrorBody;
}

export const api = {
  get: <T>(url: string, opts?: RequestOptions) => request<T>('GET', url, undefined, opts),
  post: <T>(url: string, body?: unknown, opts?: RequestOptions) => request<T>('POST', url, body, opts),
  put: <T>(url: string, body?: unknown, opts?: RequestOptions) => request<T>('PUT', url, body, opts),
  delete: <T>(url: string, opts?: RequestOptions) => request<T>('DELETE', url, undefined, opts),
};

/** A message for the learner from anything `api` (or other code) threw. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** Field errors by path (`email` → message), for forms. */
export function fieldErrors(err: unknown): Record<string, string> {
  if (!(err instanceof ApiError)) return {};
  return Object.fromEntries(err.fields.map((f) => [f.path, f.message]));
}

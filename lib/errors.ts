import type { z } from 'zod';

/**
 * The app's one error vocabulary, shared by server and client (nothing here imports Node).
 * Domain code throws `AppError(code, message)`; `lib/http` maps codes to HTTP statuses in one
 * place; `lib/api-client` turns an answer back into an `ApiError` with the same code. Never match
 * on message text.
 */
export const ERROR_STATUS = {
  /** No valid session. */
  unauthenticated: 401,
  /** Signed in, but the role or ownership check failed. */
  forbidden: 403,
  /** The request itself is malformed before any route sees it (e.g. a broken %-escape in the path). */
  bad_request: 400,
  /**
   * The session cookie is `Secure`, so a browser will not keep it over plain HTTP to anything but
   * localhost: sign-in over such an address would silently fail. Deploy behind TLS.
   */
  https_required: 400,
  /** A state-changing request from an origin we don't trust (CSRF defence). */
  bad_origin: 403,
  not_found: 404,
  /** E.g. signing up with an email that already has an account, or a stale quiz answer. */
  conflict: 409,
  /** Wrong email or password. */
  invalid_credentials: 401,
  /** The body was not what the route accepts; `fields` names the paths. */
  invalid_input: 422,
  /** Too many attempts; `retryAfterSeconds` says when to try again. */
  rate_limited: 429,
  /** Something on our side failed; nothing internal is shown. */
  internal: 500,
  /** A dependency (database, lab runner) is down or full. */
  unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** Codes only the client side produces: the request never got a JSON answer from us. */
export type ClientErrorCode = 'network' | 'bad_response';

export interface FieldIssue {
  path: string;
  message: string;
}

/** The JSON body of every error answer: `{ error: ApiErrorBody }`. */
export interface ApiErrorBody {
  code: ErrorCode;
  message: string;
  fields?: FieldIssue[];
  retryAfterSeconds?: number;
  /** Route-specific data a client may need to recover (e.g. the current state on a 409). */
  details?: unknown;
}

export interface AppErrorExtra {
  fields?: FieldIssue[];
  retryAfterSeconds?: number;
  details?: unknown;
}

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly extra: AppErrorExtra = {},
  ) {
    super(message);
    this.name = 'AppError';
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

/** A zod error's issues as field paths (`(root)` for the value itself): the 422 `fields` list. */
export function issueFields(error: z.ZodError, root = '(body)'): FieldIssue[] {
  return error.issues.map((i) => ({ path: i.path.map(String).join('.') || root, message: i.message }));
}

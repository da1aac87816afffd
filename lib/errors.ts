/**
 * Typed application errors. Domain code throws `AppError(code, message)`; `lib/http` maps codes
 * to HTTP statuses in one place (`errorResponse`). Never match on message text.
 */
export const ERROR_STATUS = {
  /** No valid session. */
  unauthenticated: 401,
  /** Signed in, but the role or ownership check failed. */
  forbidden: 403,
  /** A state-changing request from an origin we don't trust (CSRF defence). */
  bad_origin: 403,
  not_found: 404,
  /** E.g. signing up with an email that already has an account. */
  conflict: 409,
  /** Wrong email or password. */
  invalid_credentials: 401,
  /** The body was not what the route accepts; `details.fields` names the paths. */
  invalid_input: 422,
  /** Too many attempts; `retryAfterSeconds` says when to try again. */
  rate_limited: 429,
  /** A dependency (database, lab runner) is down or full. */
  unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export interface FieldIssue {
  path: string;
  message: string;
}

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly extra: { fields?: FieldIssue[]; retryAfterSeconds?: number } = {},
  ) {
    super(message);
    this.name = 'AppError';
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

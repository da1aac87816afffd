import { z } from 'zod';
import { type ApiErrorBody, AppError, issueFields } from '@/lib/errors';
import { CLIENT_IP_HEADER } from './client-ip';

/**
 * The HTTP edge of the domain: answers, the one error → response mapping, the origin check.
 * Route handlers use `route()` (./route.ts), which calls these.
 */

export function json(body: unknown, init: ResponseInit = {}): Response {
  return Response.json(body, init);
}

/** The one place errors become responses. Unknown errors are logged and answered with a bare 500. */
export function errorResponse(err: unknown): Response {
  if (err instanceof z.ZodError) {
    return errorResponse(new AppError('invalid_input', 'The request is not valid.', { fields: issueFields(err) }));
  }
  if (err instanceof AppError) {
    const headers = new Headers();
    const { fields, retryAfterSeconds, details } = err.extra;
    if (retryAfterSeconds !== undefined) headers.set('Retry-After', String(retryAfterSeconds));
    const body: ApiErrorBody = {
      code: err.code,
      message: err.message,
      ...(fields ? { fields } : {}),
      ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
      ...(details !== undefined ? { details } : {}),
    };
    return json({ error: body }, { status: err.status, headers });
  }
  console.error('[kernel-map] unhandled error', err);
  const body: ApiErrorBody = { code: 'internal', message: 'Something went wrong on our side.' };
  return json({ error: body }, { status: 500 });
}

/** The client's address as seen by the custom server; 'unknown' when served some other way. */
export function clientIp(req: Request): string {
  return req.headers.get(CLIENT_IP_HEADER) ?? 'unknown';
}

/** Adds Set-Cookie headers (from better-auth) to a response. */
export function withCookies(res: Response, setCookies: string[]): Response {
  for (const c of setCookies) res.headers.append('Set-Cookie', c);
  return res;
}

import { z } from 'zod';
import { env } from '@/lib/env';
import { AppError, type FieldIssue } from '@/lib/errors';

/**
 * The HTTP edge of the domain: parse input, check origin, map errors. Route handlers stay thin:
 * parse → permission → one lib/ call → `json()`; wrap them in `handle()` so every thrown error is
 * answered through `errorResponse`.
 */

import { CLIENT_IP_HEADER } from './client-ip';

export { CLIENT_IP_HEADER };

export function json(body: unknown, init: ResponseInit = {}): Response {
  return Response.json(body, init);
}

/** The one place errors become responses. Unknown errors are logged and answered with a bare 500. */
export function errorResponse(err: unknown): Response {
  if (err instanceof z.ZodError) {
    return errorResponse(new AppError('invalid_input', 'The request is not valid.', { fields: zodFields(err) }));
  }
  if (err instanceof AppError) {
    const headers = new Headers();
    if (err.extra.retryAfterSeconds !== undefined) headers.set('Retry-After', String(err.extra.retryAfterSeconds));
    return json(
      {
        error: {
          code: err.code,
          message: err.message,
          ...(err.extra.fields ? { fields: err.extra.fields } : {}),
          ...(err.extra.retryAfterSeconds !== undefined ? { retryAfterSeconds: err.extra.retryAfterSeconds } : {}),
        },
      },
      { status: err.status, headers },
    );
  }
  console.error('[kernel-map] unhandled error', err);
  return json({ error: { code: 'internal', message: 'Something went wrong on our side.' } }, { status: 500 });
}

export function zodFields(err: z.ZodError): FieldIssue[] {
  return err.issues.map((i) => ({ path: i.path.join('.') || '(body)', message: i.message }));
}

/** Wraps a route handler so every error goes through `errorResponse`. */
export function handle<A extends unknown[]>(fn: (...args: A) => Promise<Response>): (...args: A) => Promise<Response> {
  return async (...args: A) => {
    try {
      return await fn(...args);
    } catch (err) {
      return errorResponse(err);
    }
  };
}

/** Parses a JSON body with `schema`; malformed JSON and schema failures are 422s naming the fields. */
export async function parseJson<S extends z.ZodType>(req: Request, schema: S): Promise<z.infer<S>> {
  let raw: unknown;
  try {
    raw = await req.json();
  } catch {
    throw new AppError('invalid_input', 'The request body must be JSON.', {
      fields: [{ path: '(body)', message: 'not valid JSON' }],
    });
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new AppError('invalid_input', 'The request is not valid.', { fields: zodFields(parsed.error) });
  }
  return parsed.data;
}

/**
 * CSRF defence for every state-changing request: the Origin header (or, failing that, Referer)
 * must be the app's own origin or one listed in TRUSTED_ORIGINS. A request with neither header is
 * refused: browsers always send Origin on cross-site and same-site POST/PUT/PATCH/DELETE.
 */
export function assertSameOrigin(req: Request): void {
  const origin = req.headers.get('origin') ?? originOf(req.headers.get('referer'));
  if (!origin || !allowedOrigins(req).includes(origin)) {
    throw new AppError('bad_origin', 'This request must come from the Kernel Map site itself.');
  }
}

/**
 * The app's own origin (the request's Host, over http or https — a browser cannot forge Host on a
 * cross-site request) plus TRUSTED_ORIGINS. The terminal socket applies the same rule.
 */
export function allowedOrigins(req: Request): string[] {
  return originsForHost(req.headers.get('host') ?? undefined);
}

export function originsForHost(host: string | undefined): string[] {
  const own = host ? [`http://${host}`, `https://${host}`] : [];
  return [...own, ...env().TRUSTED_ORIGINS.map((o) => new URL(o).origin)];
}

function originOf(url: string | null): string | null {
  if (!url) return null;
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
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

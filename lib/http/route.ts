import type { z } from 'zod';
import { currentViewer, type Viewer } from '@/lib/auth';
import { AppError, issueFields } from '@/lib/errors';
import { assertSameOrigin } from './origin';
import { errorResponse, json } from './respond';

/**
 * The one wrapper every route handler goes through. In order: origin check (state-changing
 * methods), parse (path params, query, JSON body — each a zod schema, 422 with field paths),
 * authenticate, the route's named permission (401 signed out / 403 not allowed), call, answer
 * (a plain value becomes JSON; a Response passes through), and every thrown error is mapped by
 * `errorResponse`. The handler body is the one lib/ call.
 *
 * @example
 * export const POST = route(
 *   { permission: canUseLearnerPages, action: 'take quizzes', params: z.object({ quizId: idSchema }), status: 201 },
 *   async ({ viewer, params, now }) => ({ attempt: await startAttempt(viewer.id, params.quizId, now) }),
 * );
 */

/** A named permission from lib/auth/permissions.ts. */
export type Permission = (viewer: Viewer | null) => boolean;

type Schema = z.ZodType;
type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

interface RouteSpec<P, Q, B> {
  /** Path parameters (`[lessonId]` → `{ lessonId }`). */
  params?: P;
  /** Query string, as a flat object of strings. */
  query?: Q;
  /** JSON body. A non-JSON body is a 422 naming `(body)`. */
  body?: B;
  /** Status of a successful answer (default 200). */
  status?: number;
  /** Headers for a successful answer. */
  headers?: HeadersInit;
}

interface Input<P, Q, B> {
  req: Request;
  params: Out<P>;
  query: Out<Q>;
  body: Out<B>;
  /** The request's time, read once here so domain code never reads the clock. */
  now: Date;
}

type NextContext = { params: Promise<Record<string, string | string[] | undefined>> };
type Handler = (req: Request, ctx: NextContext) => Promise<Response>;

/** A route for signed-in users allowed by `permission`; `action` completes "not allowed to …". */
export function route<
  P extends Schema | undefined = undefined,
  Q extends Schema | undefined = undefined,
  B extends Schema | undefined = undefined,
>(
  spec: RouteSpec<P, Q, B> & { permission: Permission; action: string },
  fn: (input: Input<P, Q, B> & { viewer: Viewer }) => Promise<unknown>,
): Handler;
/** A route anyone may call (sign-in, sign-up, health). */
export function route<
  P extends Schema | undefined = undefined,
  Q extends Schema | undefined = undefined,
  B extends Schema | undefined = undefined,
>(spec: RouteSpec<P, Q, B> & { permission: 'public' }, fn: (input: Input<P, Q, B>) => Promise<unknown>): Handler;
export function route(
  spec: RouteSpec<Schema | undefined, Schema | undefined, Schema | undefined> & { permission: Permission | 'public'; action?: string },
  handler: (input: never) => Promise<unknown>,
): Handler {
  // The overloads type the handler's input; here it is the same object, built below.
  const fn = handler as (input: unknown) => Promise<unknown>;
  return async (req, ctx) => {
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') assertSameOrigin(req);
      const params = spec.params ? parseWith(spec.params, ctx?.params ? await ctx.params : {}, '(path)') : undefined;
      const query = spec.query ? parseWith(spec.query, Object.fromEntries(new URL(req.url).searchParams), '(query)') : undefined;
      const body = spec.body ? parseWith(spec.body, await readJson(req), '(body)') : undefined;
      const input = { req, params, query, body, now: new Date() };
      let result: unknown;
      if (spec.permission === 'public') {
        result = await fn(input);
      } else {
        const viewer = await currentViewer(req.headers);
        if (viewer === null) throw new AppError('unauthenticated', 'Sign in first.');
        if (!spec.permission(viewer)) throw new AppError('forbidden', `Your account is not allowed to ${spec.action ?? 'do this'}.`);
        result = await fn({ ...input, viewer });
      }
      if (result instanceof Response) return noStore(result);
      return noStore(json(result ?? { ok: true }, { status: spec.status ?? 200, headers: spec.headers }));
    } catch (err) {
      return noStore(errorResponse(err));
    }
  };
}

/**
 * API answers are about the caller (their account, progress, sessions) or about this moment
 * (health): no browser or proxy may keep a copy.
 */
function noStore(res: Response): Response {
  if (!res.headers.has('Cache-Control')) res.headers.set('Cache-Control', 'no-store');
  return res;
}

function parseWith(schema: Schema, value: unknown, root: string): unknown {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new AppError('invalid_input', 'The request is not valid.', { fields: issueFields(parsed.error, root) });
  return parsed.data;
}

async function readJson(req: Request): Promise<unknown> {
  try {
    return await req.json();
  } catch {
    throw new AppError('invalid_input', 'The request body must be JSON.', { fields: [{ path: '(body)', message: 'not valid JSON' }] });
  }
}

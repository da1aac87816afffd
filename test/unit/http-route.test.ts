import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { ApiError, api } from '@/lib/api-client';
import { AppError } from '@/lib/errors';
import { route } from '@/lib/http';

// The route wrapper and the client helper are the two ends of one error vocabulary: what the
// wrapper answers, the helper reads back as the same code.

// The origin check reads the configuration (TRUSTED_ORIGINS); give it the one required secret.
process.env.AUTH_SECRET ??= 'unit-test-secret-unit-test-secret-0123456789';

const ctx = (params: Record<string, string> = {}) => ({ params: Promise.resolve(params) });
const post = (body: string, headers: Record<string, string> = {}) =>
  new Request('http://app.test/api/x', {
    method: 'POST',
    body,
    headers: { host: 'app.test', origin: 'http://app.test', 'content-type': 'application/json', ...headers },
  });

describe('route(): parse → permission → call → map errors', () => {
  const echo = route(
    { permission: 'public', params: z.object({ id: z.string().regex(/^[a-z]+$/) }), body: z.strictObject({ n: z.int() }), status: 201 },
    async ({ params, body }) => ({ id: params.id, n: body.n }),
  );

  it('answers the handler value as JSON with the declared status', async () => {
    const res = await echo(post('{"n":3}'), ctx({ id: 'abc' }));
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ id: 'abc', n: 3 });
  });

  it('refuses a state-changing request from another origin before parsing anything', async () => {
    const res = await echo(post('not json', { origin: 'http://evil.test' }), ctx({ id: 'abc' }));
    expect(res.status).toBe(403);
    expect((await res.json()).error.code).toBe('bad_origin');
  });

  it('names the bad path parameter, the bad body field, and a body that is not JSON (422)', async () => {
    const badPath = await echo(post('{"n":3}'), ctx({ id: '../x' }));
    expect(badPath.status).toBe(422);
    expect((await badPath.json()).error.fields[0].path).toBe('id');
    const badField = await echo(post('{"n":"three"}'), ctx({ id: 'abc' }));
    expect((await badField.json()).error.fields[0].path).toBe('n');
    const notJson = await echo(post('<html>'), ctx({ id: 'abc' }));
    expect(notJson.status).toBe(422);
    expect((await notJson.json()).error.fields[0].path).toBe('(body)');
  });

  it('maps AppError codes to their status and hides unknown errors', async () => {
    const conflict = route({ permission: 'public' }, async () => {
      throw new AppError('conflict', 'Moved on.', { details: { position: 2 } });
    });
    const res = await conflict(new Request('http://app.test/api/x'), ctx());
    expect(res.status).toBe(409);
    expect((await res.json()).error).toEqual({ code: 'conflict', message: 'Moved on.', details: { position: 2 } });
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {});
    const boom = route({ permission: 'public' }, async () => {
      throw new Error('ECONNREFUSED 10.0.0.7:5432');
    });
    const r500 = await boom(new Request('http://app.test/api/x'), ctx());
    expect(r500.status).toBe(500);
    expect(JSON.stringify(await r500.json())).not.toContain('5432');
    spy.mockRestore();
  });
});

describe('api client helper', () => {
  afterEach(() => vi.unstubAllGlobals());
  const answer = (body: string, status: number, headers: Record<string, string> = {}) =>
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => new Response(body, { status, headers })),
    );

  it("reads a proxy's HTML 502 as a readable error, not a JSON parse error", async () => {
    answer('<html><body>502 Bad Gateway</body></html>', 502, { 'content-type': 'text/html' });
    const err = await api.get('/api/me').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe('bad_response');
    expect((err as ApiError).message).toMatch(/not answering properly \(HTTP 502\)/);
    expect((err as ApiError).message).not.toMatch(/JSON|token/i);
  });

  it('keeps the server code, field paths and Retry-After', async () => {
    answer(JSON.stringify({ error: { code: 'rate_limited', message: 'Try again in 30 s.' } }), 429, { 'retry-after': '30' });
    const limited = (await api.post('/api/auth/sign-in', {}).catch((e: unknown) => e)) as ApiError;
    expect([limited.code, limited.status, limited.retryAfterSeconds]).toEqual(['rate_limited', 429, 30]);
    answer(JSON.stringify({ error: { code: 'invalid_input', message: 'no', fields: [{ path: 'email', message: 'bad' }] } }), 422);
    const invalid = (await api.post('/api/auth/sign-up', {}).catch((e: unknown) => e)) as ApiError;
    expect(invalid.fields).toEqual([{ path: 'email', message: 'bad' }]);
  });

  it('says the server could not be reached when the network is down', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => {
        throw new TypeError('Failed to fetch');
      }),
    );
    const err = (await api.get('/api/me').catch((e: unknown) => e)) as ApiError;
    expect(err.code).toBe('network');
    expect(err.status).toBe(0);
  });
});

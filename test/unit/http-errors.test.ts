import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { AppError } from '@/lib/errors';
import { errorResponse } from '@/lib/http';
import { safeNextPath } from '@/lib/http/next-path';

describe('error mapping (lib/http errorResponse)', () => {
  it('turns a zod failure into 422 listing the field paths', async () => {
    const r = z.object({ email: z.email(), age: z.number() }).safeParse({ email: 'x', age: 'y' });
    const res = errorResponse(r.error);
    expect(res.status).toBe(422);
    const body = await res.json();
    expect(body.error.fields.map((f: { path: string }) => f.path)).toEqual(['email', 'age']);
  });

  it('maps rate limiting to 429 with Retry-After', async () => {
    const res = errorResponse(new AppError('rate_limited', 'Try again in 12 s.', { retryAfterSeconds: 12 }));
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('12');
    expect((await res.json()).error.retryAfterSeconds).toBe(12);
  });

  it('hides unknown errors behind a generic 500', async () => {
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {});
    const res = errorResponse(new Error('SQLITE_CORRUPT at /secret/path'));
    expect(res.status).toBe(500);
    expect(JSON.stringify(await res.json())).not.toContain('secret');
    spy.mockRestore();
  });
});

describe('post-sign-in destination', () => {
  it('allows same-site paths only', () => {
    expect(safeNextPath('/learn?x=1')).toBe('/learn?x=1');
    expect(safeNextPath('//evil.example/')).toBe('/');
    expect(safeNextPath('https://evil.example/')).toBe('/');
    expect(safeNextPath('/\\evil.example')).toBe('/');
    expect(safeNextPath(undefined)).toBe('/');
  });
});

import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browserish, newAccount } from '../helpers/http';
import { startServer, type TestServer } from '../helpers/server';

/**
 * Issue 8's HTTP findings, each reproduced against the real server: bad paths answer 4xx in the
 * API's vocabulary with the security headers, pages carry a nonce CSP, API answers are not
 * cached, and a sign-in the browser could not keep says why.
 */

/** A raw request, so the path goes out byte for byte and Host can be chosen. */
function raw(url: string, method: string, path: string, headers: Record<string, string> = {}, body?: string) {
  const u = new URL(url);
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path, method, headers }, (res) => {
      let data = '';
      res.on('data', (c) => {
        data += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: data }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function expectSecurityHeaders(h: http.IncomingHttpHeaders | Headers) {
  const get = (k: string) => (h instanceof Headers ? h.get(k) : (h[k] as string | undefined));
  expect(get('x-content-type-options')).toBe('nosniff');
  expect(get('x-frame-options')).toBe('DENY');
  expect(get('content-security-policy')).toBeTruthy();
}

describe('HTTP hardening (issue 8)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server?.cleanup();
  });

  it('answers a malformed %-escape in an API path with a JSON 400 and the security headers (was: Next’s bare 500)', async () => {
    for (const path of ['/api/lessons/%ff/read', '/api/labs/sessions/%E0%A4%A/extend', '/learn/%ff']) {
      const res = await raw(
        server.url,
        path.startsWith('/api') ? 'POST' : 'GET',
        path,
        { origin: server.url, 'content-type': 'application/json' },
        '{}',
      );
      expect(res.status, path).toBe(400);
      expect(res.headers['content-type']).toMatch(/application\/json/);
      expect(JSON.parse(res.body).error.code).toBe('bad_request');
      expectSecurityHeaders(res.headers);
    }
  });

  it('answers unknown /api/* paths with a JSON 404 for every method (was: the HTML not-found page)', async () => {
    const b = new Browserish(server.url);
    for (const method of ['GET', 'POST', 'PUT', 'DELETE']) {
      const res = await b.request(method, '/api/no-such/thing', method === 'GET' || method === 'DELETE' ? undefined : {});
      expect(res.status, method).toBe(404);
      expect(res.headers.get('content-type')).toMatch(/application\/json/);
      expect((await res.json()).error.code).toBe('not_found');
    }
  });

  it('marks API answers with personal data Cache-Control: no-store', async () => {
    const b = new Browserish(server.url);
    expect((await b.post('/api/auth/sign-up', newAccount('cache'))).status).toBe(201);
    const me = await b.get('/api/me');
    expect(me.status).toBe(200);
    expect(me.headers.get('cache-control')).toBe('no-store');
    const signedOut = await fetch(`${server.url}/api/me`);
    expect(signedOut.headers.get('cache-control')).toBe('no-store');
  });

  it('sends a nonce Content-Security-Policy on every page; every script carries this request’s nonce; no inline handlers', async () => {
    const b = new Browserish(server.url);
    expect((await b.post('/api/auth/sign-up', newAccount('csp'))).status).toBe(201);
    const anonymous = new Browserish(server.url);
    const nonces = new Set<string>();
    for (const [who, path] of [
      [anonymous, '/sign-in'],
      [anonymous, '/sign-up'],
      [b, '/today'],
      [b, '/learn'],
      [b, '/labs'],
    ] as const) {
      const res = await who.get(path);
      expect(res.status, path).toBe(200);
      expectSecurityHeaders(res.headers);
      const csp = res.headers.get('content-security-policy') ?? '';
      const nonce = /'nonce-([A-Za-z0-9+/=]+)'/.exec(csp)?.[1];
      expect(nonce, `${path}: ${csp}`).toBeTruthy();
      expect(csp).toContain("'strict-dynamic'");
      expect(csp).not.toMatch(/script-src[^;]*'unsafe-inline'/);
      expect(csp).toContain("frame-ancestors 'none'");
      // The terminal's WebSocket on the same origin.
      expect(csp).toMatch(new RegExp(`connect-src 'self' ws://${new URL(server.url).host}`));
      nonces.add(nonce ?? '');
      const html = await res.text();
      const scripts = html.match(/<script\b[^>]*>/g) ?? [];
      expect(scripts.length, path).toBeGreaterThan(0);
      for (const tag of scripts) expect(tag, path).toContain(`nonce="${nonce}"`);
      expect(html, path).not.toMatch(/<[a-z][^>]*\son[a-z]+=/i);
    }
    expect(nonces.size).toBe(5); // fresh per request
  });

  it('says "this address needs HTTPS" when a sign-in over plain HTTP could not keep the Secure cookie', async () => {
    const body = JSON.stringify({ email: 'student@kernelmap.test', password: 'kernelmap-student' });
    const headers = (host: string, origin: string) => ({ host, origin, 'content-type': 'application/json' });
    const plain = await raw(server.url, 'POST', '/api/auth/sign-in', headers('kernelmap.example', 'http://kernelmap.example'), body);
    expect(plain.status).toBe(400);
    expect(JSON.parse(plain.body).error).toMatchObject({ code: 'https_required', message: expect.stringContaining('needs HTTPS') });
    expect(plain.headers['set-cookie']).toBeUndefined();
    // Behind TLS (the browser's page is https) and on localhost it works.
    const tls = await raw(server.url, 'POST', '/api/auth/sign-in', headers('kernelmap.example', 'https://kernelmap.example'), body);
    expect(tls.status).toBe(200);
    const local = await raw(server.url, 'POST', '/api/auth/sign-in', headers(new URL(server.url).host, server.url), body);
    expect(local.status).toBe(200);
  });
});

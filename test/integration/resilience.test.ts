import { afterAll, describe, expect, it } from 'vitest';
import { Browserish, newAccount } from '../helpers/http';
import { runServerExpectingExit, startServer, type TestServer } from '../helpers/server';

describe('durability and failure modes', () => {
  const servers: TestServer[] = [];
  afterAll(async () => {
    for (const s of servers) await s.cleanup();
  });

  it('keeps an acknowledged sign-up after the server is SIGKILLed right after answering', async () => {
    const server = await startServer();
    servers.push(server);
    const account = newAccount('durable');
    const res = await new Browserish(server.url).post('/api/auth/sign-up', account);
    expect(res.status).toBe(201);
    await server.kill(); // no graceful shutdown, no checkpoint: the WAL, synced before the answer, must carry it
    await server.restart();
    const again = await new Browserish(server.url).post('/api/auth/sign-in', { email: account.email, password: account.password });
    expect(again.status).toBe(200);
  });

  it('answers /api/health with 503 and a generic reason when the database does not answer, and logs the error', async () => {
    const server = await startServer({
      migrate: false,
      waitFor: 'listening',
      env: { DATABASE_URL: 'postgresql://postgres@127.0.0.1:1/nowhere', SEED_DEMO: 'false' },
    });
    servers.push(server);
    const res = await fetch(`${server.url}/api/health`);
    expect(res.status).toBe(503);
    const body = await res.json();
    expect(body.ok).toBe(false);
    expect(body.db).toBe('postgresql');
    expect(body.reason).toBe('database did not answer');
    // The public sees no host, port or driver text (issue 8); the log has it.
    expect(JSON.stringify(body)).not.toMatch(/127\.0\.0\.1|:1\b|nowhere|ECONNREFUSED/);
    expect(server.output()).toMatch(/health: the database did not answer/);
  });

  it('refuses to start with a malformed setting and names it', () => {
    const bad = runServerExpectingExit({ DATABASE_URL: 'mysql://localhost/x', AUTH_SECRET: 'x'.repeat(40) });
    expect(bad.code).toBe(78);
    expect(bad.output).toContain('DATABASE_URL');
    const missing = runServerExpectingExit({ AUTH_SECRET: '' });
    expect(missing.code).toBe(78);
    expect(missing.output).toContain('AUTH_SECRET');
  });
});

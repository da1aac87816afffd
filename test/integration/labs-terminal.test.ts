import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb } from '@/lib/db';
import { ensureLabImages, MARKER_PREFIX } from '@/lib/vm';
import { Browserish, newAccount } from '../helpers/http';
import { startServer, type TestServer } from '../helpers/server';
import { TerminalClient } from '../helpers/terminal';

/**
 * The lab terminal over the real server: session API, the WebSocket's authentication and
 * ownership checks, the protocol's validation, flow control, resume after reconnect, and stop.
 */
describe('lab sessions and the terminal socket', () => {
  let server: TestServer;
  const alice = { account: newAccount('alice'), http: null as unknown as Browserish };
  const bob = { account: newAccount('bob'), http: null as unknown as Browserish };
  let sessionId = '';

  beforeAll(async () => {
    await ensureLabImages({ log: () => {} });
    server = await startServer();
    for (const who of [alice, bob]) {
      who.http = new Browserish(server.url);
      expect((await who.http.post('/api/auth/sign-up', who.account)).status).toBe(201);
    }
  }, 900_000);
  afterAll(async () => {
    await server?.cleanup();
  });

  it('rejects hostile lab ids and architectures with 422', async () => {
    for (const body of [
      { labId: '../../etc/passwd', arch: 'x86_64' },
      { labId: 'hello', arch: 'mips' },
      { labId: 'hello; rm -rf /', arch: 'aarch64' },
      { labId: 'hello', arch: 'x86_64', extra: 1 },
    ]) {
      const res = await alice.http.post('/api/labs/sessions', body);
      expect(res.status, JSON.stringify(body)).toBe(422);
    }
    expect((await alice.http.post('/api/labs/sessions', { labId: 'no-such-lab', arch: 'x86_64' })).status).toBe(404);
    expect((await new Browserish(server.url).post('/api/labs/sessions', { labId: 'hello', arch: 'x86_64' })).status).toBe(401);
  });

  it('starts a VM and gives its owner a shell over the socket', async () => {
    const res = await alice.http.post('/api/labs/sessions', { labId: 'hello', arch: 'x86_64' });
    expect(res.status).toBe(201);
    const { session } = await res.json();
    expect(session).toMatchObject({ labId: 'hello', arch: 'x86_64', state: 'running' });
    sessionId = session.id;

    const term = await TerminalClient.open(server.url, sessionId, { cookie: alice.http.cookieHeader() });
    await expect.poll(() => term.messages.find((m) => m.t === 'status')).toMatchObject({ state: 'ready' });
    term.type('echo km-$((6*7)); uname -m\r');
    await term.waitForText(/km-42\s+x86_64/);
    // The lab's setup ran as root before the shell was handed over.
    term.type('cat ~/welcome.txt\r');
    await term.waitForText(/prepared by the lab setup on x86_64/);
    term.close();
  });

  it('refuses the socket to other learners, to no cookie and to foreign origins', async () => {
    await expect(TerminalClient.open(server.url, sessionId, { cookie: bob.http.cookieHeader() })).rejects.toThrow('HTTP 404');
    await expect(TerminalClient.open(server.url, sessionId, {})).rejects.toThrow('HTTP 401');
    await expect(
      TerminalClient.open(server.url, sessionId, { cookie: alice.http.cookieHeader(), origin: 'https://evil.example' }),
    ).rejects.toThrow('HTTP 403');
    await expect(TerminalClient.open(server.url, 'not-a-real-session-id', { cookie: alice.http.cookieHeader() })).rejects.toThrow(
      'HTTP 404',
    );
  });

  it('closes the socket on an invalid message or a hostile resize', async () => {
    for (const bad of [
      'not json',
      { t: 'resize', cols: 100000, rows: 50 },
      { t: 'input', data: 'x'.repeat(100_000) },
      { t: 'exec', argv: ['sh'] },
    ]) {
      const term = await TerminalClient.open(server.url, sessionId, { cookie: alice.http.cookieHeader() });
      term.send(bad);
      const closed = await term.waitForClose();
      expect(closed.code, JSON.stringify(bad).slice(0, 40)).toBe(1008);
    }
  });

  it('resumes the same VM after a reconnect, with the recent screen replayed', async () => {
    const first = await TerminalClient.open(server.url, sessionId, { cookie: alice.http.cookieHeader() });
    first.type('echo $((1000+337)) > /tmp/marker; cat /tmp/marker\r');
    await first.waitForText(/1337/);
    first.close();
    const second = await TerminalClient.open(server.url, sessionId, { cookie: alice.http.cookieHeader() });
    await second.waitForText(/1337/); // replayed scrollback
    second.type('cat /tmp/marker; echo again\r');
    await second.waitForText(/1337\s+again/);
    second.close();
  });

  it('keeps the server responsive when the guest floods output to a client that stops reading', async () => {
    const term = await TerminalClient.open(server.url, sessionId, { cookie: alice.http.cookieHeader() });
    term.type('yes kernel-map-flood\r');
    await term.waitForText(/kernel-map-flood/);
    // Stop reading: no more acks, and the TCP socket is paused.
    term.ws.removeAllListeners('message');
    (term.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    await new Promise((r) => setTimeout(r, 3000));
    const t0 = Date.now();
    const health = await fetch(`${server.url}/api/health`);
    expect(health.status).toBe(200);
    expect(Date.now() - t0).toBeLessThan(2000);
    const list = await alice.http.get('/api/labs/sessions');
    expect(list.status).toBe(200);
    term.ws.terminate();
    // A fresh client interrupts the flood and still has a working shell.
    const fresh = await TerminalClient.open(server.url, sessionId, { cookie: alice.http.cookieHeader() });
    fresh.type('\x03');
    fresh.type('\recho still-here\r');
    await fresh.waitForText(/still-here/, 60_000);
    fresh.close();
  });

  it('allows one session per learner, and stops it on request (the socket says why)', async () => {
    const second = await alice.http.post('/api/labs/sessions', { labId: 'hello', arch: 'aarch64' });
    expect(second.status).toBe(409);
    const term = await TerminalClient.open(server.url, sessionId, { cookie: alice.http.cookieHeader() });
    expect((await bob.http.request('DELETE', `/api/labs/sessions/${sessionId}`)).status).toBe(404);
    expect((await alice.http.request('DELETE', `/api/labs/sessions/${sessionId}`)).status).toBe(200);
    await term.waitForClose(10_000);
    expect(term.messages.some((m) => m.t === 'exit')).toBe(true);
    // The session is on record, with how it ended.
    const db = createDb(server.env.DATABASE_URL ?? '');
    try {
      await expect
        .poll(() => db.labSession.findUnique({ where: { id: sessionId } }))
        .toMatchObject({ labId: 'hello', arch: 'x86_64', status: 'ended', endReason: 'stopped' });
    } finally {
      await db.$disconnect();
    }
  });

  it('leaves no QEMU behind when the server is SIGKILLed', async () => {
    const res = await alice.http.post('/api/labs/sessions', { labId: 'hello', arch: 'aarch64' });
    expect(res.status).toBe(201);
    const { session } = await res.json();
    const marker = `${MARKER_PREFIX}${session.id}`;
    const running = () =>
      execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })
        .split('\n')
        .filter((l) => l.includes(marker)).length;
    expect(running()).toBe(1);
    await server.kill();
    await expect.poll(running, { timeout: 10_000 }).toBe(0);
  });
});

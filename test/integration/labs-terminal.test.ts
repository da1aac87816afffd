import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb } from '@/lib/db';
import { BATCH_MAX_BYTES, HIGH_WATER_BYTES } from '@/lib/terminal/protocol';
import { AUTH_RECHECK_MS, CLOSE, MAX_SOCKETS_PER_SESSION, STALL_MS } from '@/lib/terminal/server';
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

  it('caps sockets per session: the newest wins and the oldest is told why (issue 8: 1000 sockets accepted)', async () => {
    const tabs: TerminalClient[] = [];
    for (let i = 0; i < MAX_SOCKETS_PER_SESSION + 2; i++)
      tabs.push(await TerminalClient.open(server.url, sessionId, { cookie: alice.http.cookieHeader() }));
    for (const old of tabs.slice(0, 2)) expect(await old.waitForClose()).toEqual(CLOSE.replaced);
    await new Promise((r) => setTimeout(r, 300));
    expect(tabs.slice(2).every((t) => t.closed === null)).toBe(true);
    const newest = tabs[tabs.length - 1] as TerminalClient;
    newest.type('echo newest-$((2+3))\r');
    await newest.waitForText(/newest-5/);
    for (const t of tabs) t.close();
  });

  it('closes a tab that stops acknowledging, so it cannot freeze the other tabs (issue 8: the pause was shared)', async () => {
    const stuck = await TerminalClient.open(server.url, sessionId, { cookie: alice.http.cookieHeader(), ack: false });
    const other = await TerminalClient.open(server.url, sessionId, { cookie: alice.http.cookieHeader() });
    // The scrollback goes out in batches under flow control, never as one unbounded frame.
    for (const m of stuck.messages) if (m.t === 'output') expect(m.data.length).toBeLessThanOrEqual(BATCH_MAX_BYTES);
    other.type('yes stall-flood | head -c 2000000; echo flood-$((40+2))\r');
    expect(await stuck.waitForClose(STALL_MS + 15_000)).toEqual(CLOSE.stalled);
    const received = stuck.messages.reduce((n, m) => n + (m.t === 'output' ? m.data.length : 0), 0);
    expect(received).toBeLessThanOrEqual(HIGH_WATER_BYTES + BATCH_MAX_BYTES);
    // The other tab got the whole flood and its end.
    await other.waitForText(/flood-42/, 120_000);
    other.close();
  }, 180_000);

  it('closes an open terminal when its sign-in session ends (issue 8: a socket outlived sign-out)', async () => {
    const laptop = new Browserish(server.url);
    expect((await laptop.post('/api/auth/sign-in', { email: alice.account.email, password: alice.account.password })).status).toBe(200);
    const onLaptop = await TerminalClient.open(server.url, sessionId, { cookie: laptop.cookieHeader() });
    const elsewhere = await TerminalClient.open(server.url, sessionId, { cookie: alice.http.cookieHeader() });
    expect((await laptop.post('/api/auth/sign-out')).status).toBe(200);
    expect(await onLaptop.waitForClose(AUTH_RECHECK_MS + 10_000)).toEqual(CLOSE.signedOut);
    // Only that sign-in's sockets: the learner's other browser keeps working.
    elsewhere.type('echo still-signed-in\r');
    await elsewhere.waitForText(/still-signed-in/);
    elsewhere.close();
  }, 60_000);

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

  it('keeps this server’s VMs when a second server starts from the same checkout (issue 8: killed as "orphans")', async () => {
    const term = await TerminalClient.open(server.url, sessionId, { cookie: alice.http.cookieHeader() });
    const second = await startServer(); // another DATA_DIR and port; healthy only after its lab start-up ran
    try {
      term.type('echo survived-$((7*6))\r');
      await term.waitForText(/survived-42/);
      expect(term.closed).toBeNull();
    } finally {
      term.close();
      await second.cleanup();
    }
  }, 120_000);

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

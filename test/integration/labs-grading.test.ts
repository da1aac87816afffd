import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb } from '@/lib/db';
import { ensureLabImages } from '@/lib/vm';
import { Browserish, newAccount } from '../helpers/http';
import { startServer, type TestServer } from '../helpers/server';
import { TerminalClient } from '../helpers/terminal';

/**
 * Graded labs over the real server: the durability lab checked through the Check API — the
 * untouched script fails with its evidence and makes the task's cards due, a solution typed in the
 * terminal passes, every Check is stored, and nobody else can check the session.
 */
describe('lab Check API', () => {
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
    const res = await alice.http.post('/api/labs/sessions', { labId: 'durable-write', arch: 'x86_64' });
    expect(res.status).toBe(201);
    sessionId = (await res.json()).session.id;
  }, 900_000);
  afterAll(async () => {
    await server?.cleanup();
  });

  it('fails the untouched save.sh with its evidence, and brings the linked cards back', async () => {
    const res = await alice.http.post(`/api/labs/sessions/${sessionId}/check`, { hintsUsed: 1 });
    expect(res.status).toBe(200);
    const { attempt } = await res.json();
    expect(attempt).toMatchObject({ passed: 0, total: 1, hintsUsed: 1 });
    expect(attempt.results[0]).toMatchObject({ taskId: 'durable-save', passed: false });
    expect(attempt.results[0].reason).toMatch(/in place/);
    expect(JSON.stringify(attempt.results[0].evidence)).toContain('O_TRUNC');
    const db = createDb(server.env.DATABASE_URL as string);
    try {
      const user = await db.user.findUniqueOrThrow({ where: { email: alice.account.email } });
      const due = await db.cardState.findMany({ where: { userId: user.id, due: { lte: new Date() } }, select: { cardId: true } });
      expect(due.map((d) => d.cardId)).toEqual(expect.arrayContaining(['p3-rename-no-dirsync', 'p3-dir-fsync']));
    } finally {
      await db.$disconnect();
    }
  });

  it('passes a durable save.sh typed in the terminal; the session keeps running', async () => {
    const term = await TerminalClient.open(server.url, sessionId, { cookie: alice.http.cookieHeader() });
    await expect.poll(() => term.messages.find((m) => m.t === 'status')).toMatchObject({ state: 'ready' });
    term.type(
      "printf '%s\\n' '#!/bin/sh' 'set -e' 'printf \"%s\\\\n\" \"$1\" > /mnt/lab/s.tmp' 'fsync /mnt/lab/s.tmp' 'mv /mnt/lab/s.tmp /mnt/lab/settings.conf' 'fsync /mnt/lab' > ~/save.sh; echo written-$((40+2))\r",
    );
    await term.waitForText(/written-42/);
    term.close();
    const res = await alice.http.post(`/api/labs/sessions/${sessionId}/check`, { tasks: ['durable-save'] });
    const { attempt } = await res.json();
    expect(attempt.results[0], JSON.stringify(attempt.results[0])).toMatchObject({ taskId: 'durable-save', passed: true });
    const list = await (await alice.http.get('/api/labs/attempts?labId=durable-write')).json();
    expect(list.attempts).toHaveLength(2);
    expect(list.passedTasks).toEqual(['durable-save']);
    const sessions = await (await alice.http.get('/api/labs/sessions')).json();
    expect(sessions.sessions.find((s: { id: string }) => s.id === sessionId)).toMatchObject({ state: 'running' });
  });

  it('does not pass a replayed Check: the same request after the unsafe save.sh is back fails, and a forged attempt is refused', async () => {
    const passing = { tasks: ['durable-save'] };
    const before = (await (await alice.http.get('/api/labs/attempts?labId=durable-write')).json()).attempts.length;
    const term = await TerminalClient.open(server.url, sessionId, { cookie: alice.http.cookieHeader() });
    await expect.poll(() => term.messages.find((m) => m.t === 'status')).toMatchObject({ state: 'ready' });
    term.type(`printf '%s\\n' '#!/bin/sh' 'printf "%s\\n" "$1" > /mnt/lab/settings.conf' > ~/save.sh; echo reverted-$((40+2))\r`);
    await term.waitForText(/reverted-42/);
    term.close();
    const replay = await alice.http.post(`/api/labs/sessions/${sessionId}/check`, passing);
    expect(replay.status).toBe(200);
    const { attempt } = await replay.json();
    expect(attempt.results[0], JSON.stringify(attempt.results[0])).toMatchObject({ taskId: 'durable-save', passed: false });
    expect(attempt.results[0].reason).toMatch(/in place/);
    // An earlier attempt's payload sent back as a Check body: refused, and nothing recorded.
    const earlier = (await (await alice.http.get('/api/labs/attempts?labId=durable-write')).json()).attempts.find(
      (a: { passed: number }) => a.passed === 1,
    );
    expect(earlier).toBeDefined();
    for (const forged of [earlier, { ...passing, results: earlier.results }, { ...passing, passed: 1, total: 1 }])
      expect((await alice.http.post(`/api/labs/sessions/${sessionId}/check`, forged)).status).toBe(422);
    const after = (await (await alice.http.get('/api/labs/attempts?labId=durable-write')).json()).attempts;
    expect(after).toHaveLength(before + 1);
    expect(after[0]).toMatchObject({ passed: 0, total: 1 });
  });

  it('refuses another learner, unknown tasks and hostile bodies', async () => {
    expect((await bob.http.post(`/api/labs/sessions/${sessionId}/check`, {})).status).toBe(404);
    expect((await alice.http.post(`/api/labs/sessions/${sessionId}/check`, { tasks: ['no-such-task'] })).status).toBe(422);
    expect((await alice.http.post(`/api/labs/sessions/${sessionId}/check`, { tasks: ['../x'] })).status).toBe(422);
    expect((await alice.http.post(`/api/labs/sessions/${sessionId}/check`, { answers: { 'durable-save': 'x'.repeat(500) } })).status).toBe(
      422,
    );
    expect((await new Browserish(server.url).post(`/api/labs/sessions/${sessionId}/check`, {})).status).toBe(401);
  });
});

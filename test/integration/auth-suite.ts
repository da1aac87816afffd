import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browserish, newAccount, postFrom } from '../helpers/http';
import { startServer, type TestServer } from '../helpers/server';

const DEMO_INSTRUCTOR = { email: 'instructor@kernelmap.test', password: 'kernelmap-instructor' };
const DEMO_STUDENT = { email: 'student@kernelmap.test', password: 'kernelmap-student' };

/**
 * The foundation's promises over real HTTP against a real server, run once per database provider
 * (auth-sqlite.test.ts, auth-postgresql.test.ts).
 */
export function authSuite(provider: 'sqlite' | 'postgresql') {
  describe(`accounts, roles and the shell over HTTP (${provider})`, () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startServer({
        provider,
        env: { SIGNIN_LIMIT: '4', SIGNIN_ACCOUNT_LIMIT: '9', SIGNIN_IP_LIMIT: '20', SIGNIN_WINDOW_SECONDS: '120' },
      });
    });
    afterAll(async () => {
      await server?.cleanup();
    });

    it('reports health with the database in use', async () => {
      const res = await fetch(`${server.url}/api/health`);
      expect(res.status).toBe(200);
      const body = await res.json();
      expect(body).toMatchObject({ ok: true, db: provider });
      expect(body.version).toMatch(/^\d+\.\d+\.\d+/);
    });

    it('answers a malformed sign-up with 422 naming each bad field', async () => {
      const b = new Browserish(server.url);
      const res = await b.post('/api/auth/sign-up', { name: '', email: 'not-an-email', password: 'short' });
      expect(res.status).toBe(422);
      const body = await res.json();
      const paths = body.error.fields.map((f: { path: string }) => f.path).sort();
      expect(paths).toEqual(['email', 'name', 'password']);
      const notJson = await b.post('/api/auth/sign-up', '{"name":', {});
      expect(notJson.status).toBe(422);
    });

    it('signs up a student with an httpOnly SameSite session cookie and shows the shell', async () => {
      const b = new Browserish(server.url);
      const account = newAccount();
      const res = await b.post('/api/auth/sign-up', account);
      expect(res.status).toBe(201);
      const setCookie = res.headers.getSetCookie().find((c) => c.includes('session_token'));
      expect(setCookie).toBeDefined();
      expect(setCookie).toMatch(/HttpOnly/i);
      expect(setCookie).toMatch(/SameSite=Lax/i);
      const me = await b.get('/api/me');
      expect(me.status).toBe(200);
      expect((await me.json()).user).toMatchObject({ email: account.email, role: 'student' });
      const today = await b.get('/today');
      expect(today.status).toBe(200);
      const html = await today.text();
      expect(html).toContain(account.name);
      expect(html).not.toContain('href="/instructor"');
    });

    it('refuses a second account with the same email (409) and keeps the first', async () => {
      const account = newAccount();
      const b = new Browserish(server.url);
      expect((await b.post('/api/auth/sign-up', account)).status).toBe(201);
      const again = await new Browserish(server.url).post('/api/auth/sign-up', { ...account, password: 'another password!' });
      expect(again.status).toBe(409);
      const signIn = await new Browserish(server.url).post('/api/auth/sign-in', { email: account.email, password: account.password });
      expect(signIn.status).toBe(200);
    });

    it('answers 12 concurrent sign-ups with one new email with one 201 and 409 for the rest (issue 8: 11 × 500)', async () => {
      // Twelve different addresses, so only the unique key decides, not the per-address limit.
      const account = newAccount('race');
      const answers = await Promise.all(
        Array.from({ length: 12 }, (_, i) => postFrom(`127.0.3.${i + 1}`, `${server.url}/api/auth/sign-up`, account)),
      );
      const statuses = answers.map((a) => a.status).sort();
      expect(statuses).toEqual([201, ...Array(11).fill(409)]);
      for (const a of answers.filter((x) => x.status === 409)) expect(JSON.parse(a.body).error.code).toBe('conflict');
    });

    it('limits sign-ups per client address (SIGNUP_IP_LIMIT) with 429 and Retry-After (issue 8: 500 accounts in 85 s)', async () => {
      const statuses: number[] = [];
      let retryAfter = 0;
      for (let i = 0; i < 11; i++) {
        const res = await postFrom('127.0.4.1', `${server.url}/api/auth/sign-up`, newAccount('flood'));
        statuses.push(res.status);
        if (res.status === 429) retryAfter = Number(res.headers['retry-after']);
      }
      expect(statuses).toEqual([...Array(10).fill(201), 429]);
      expect(retryAfter).toBeGreaterThan(0);
      // A duplicate counts too (no free probing of which emails exist), and another address is not affected.
      expect((await postFrom('127.0.4.2', `${server.url}/api/auth/sign-up`, newAccount('other'))).status).toBe(201);
    });

    it('checks the origin of every state-changing request', async () => {
      const noOrigin = new Browserish(server.url, null);
      expect((await noOrigin.post('/api/auth/sign-up', newAccount())).status).toBe(403);
      const evil = new Browserish(server.url, 'https://evil.example');
      const res = await evil.post('/api/auth/sign-in', DEMO_STUDENT);
      expect(res.status).toBe(403);
      expect((await res.json()).error.code).toBe('bad_origin');
    });

    it('redirects a signed-out visit to a learner page to sign-in, remembering the page', async () => {
      const res = await fetch(`${server.url}/learn`, { redirect: 'manual' });
      expect([302, 303, 307, 308]).toContain(res.status);
      expect(res.headers.get('location')).toMatch(/\/sign-in\?next=%2Flearn$/);
      // A forged or expired cookie is no better than none.
      const forged = await fetch(`${server.url}/today`, { redirect: 'manual', headers: { cookie: 'km.session_token=forged.value' } });
      expect([302, 303, 307, 308]).toContain(forged.status);
      expect(forged.headers.get('location')).toContain('/sign-in');
    });

    it('seeds demo accounts; only the instructor may use instructor routes (student gets 403)', async () => {
      const student = new Browserish(server.url);
      expect((await student.post('/api/auth/sign-in', DEMO_STUDENT)).status).toBe(200);
      expect((await student.get('/api/instructor/learners')).status).toBe(403);
      expect((await student.get('/instructor')).status).toBe(403);
      expect((await new Browserish(server.url).get('/api/instructor/learners')).status).toBe(401);

      const instructor = new Browserish(server.url);
      expect((await instructor.post('/api/auth/sign-in', DEMO_INSTRUCTOR)).status).toBe(200);
      const list = await instructor.get('/api/instructor/learners');
      expect(list.status).toBe(200);
      const emails = (await list.json()).learners.map((l: { email: string }) => l.email);
      expect(emails).toContain(DEMO_STUDENT.email);
      expect(emails).not.toContain(DEMO_INSTRUCTOR.email);
      const page = await instructor.get('/instructor');
      expect(page.status).toBe(200);
      expect(await page.text()).toContain(DEMO_STUDENT.email);
    });

    it('limits sign-in attempts per account with 429, Retry-After and a "try again in N s" message', async () => {
      const account = newAccount('throttled');
      expect((await new Browserish(server.url).post('/api/auth/sign-up', account)).status).toBe(201);
      const statuses: number[] = [];
      let last: Response | undefined;
      for (let i = 0; i < 5; i++) {
        // A fresh client each time: the limit must hold per account, not per cookie jar.
        last = await new Browserish(server.url).post('/api/auth/sign-in', { email: account.email, password: 'wrong password' });
        statuses.push(last.status);
      }
      expect(statuses).toEqual([401, 401, 401, 401, 429]);
      expect(Number(last?.headers.get('retry-after'))).toBeGreaterThan(0);
      const body = await last?.json();
      expect(body.error.message).toMatch(/Try again in \d+ s/);
      // Even the right password waits until the window ends.
      const right = await new Browserish(server.url).post('/api/auth/sign-in', { email: account.email, password: account.password });
      expect(right.status).toBe(429);
    });

    it("does not let a stranger's wrong passwords lock the owner out", async () => {
      const owner = newAccount('owner');
      expect((await new Browserish(server.url).post('/api/auth/sign-up', owner)).status).toBe(201);
      const url = `${server.url}/api/auth/sign-in`;
      const wrong = { email: owner.email, password: 'not the password' };
      const attacker: number[] = [];
      for (let i = 0; i < 5; i++) attacker.push((await postFrom('127.0.0.31', url, wrong)).status);
      expect(attacker).toEqual([401, 401, 401, 401, 429]);
      // The attacker's address stays limited, even with the right password…
      expect((await postFrom('127.0.0.31', url, owner)).status).toBe(429);
      // …but the owner, from their own address, signs straight in.
      expect((await postFrom('127.0.0.32', url, owner)).status).toBe(200);
    });

    it('caps guesses at one account from many addresses, yet lets the owner in from an address they used before', async () => {
      const owner = newAccount('spread');
      expect((await new Browserish(server.url).post('/api/auth/sign-up', owner)).status).toBe(201);
      const url = `${server.url}/api/auth/sign-in`;
      expect((await postFrom('127.0.0.40', url, owner)).status).toBe(200); // the owner's usual address
      const wrong = { email: owner.email, password: 'not the password' };
      const statuses: number[] = [];
      // SIGNIN_ACCOUNT_LIMIT is 9: three addresses × three guesses use it up, the tenth guess waits.
      for (const addr of ['127.0.0.41', '127.0.0.42', '127.0.0.43'])
        for (let i = 0; i < 3; i++) statuses.push((await postFrom(addr, url, wrong)).status);
      expect(statuses.every((s) => s === 401)).toBe(true);
      const tenth = await postFrom('127.0.0.44', url, wrong);
      expect(tenth.status).toBe(429);
      expect(Number(tenth.headers['retry-after'])).toBeGreaterThan(0);
      // A new address waits even with the right password; the owner's known address does not.
      expect((await postFrom('127.0.0.45', url, owner)).status).toBe(429);
      expect((await postFrom('127.0.0.40', url, owner)).status).toBe(200);
    });

    it('limits sign-in attempts per client address, whatever the account', async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 21; i++) {
        const res = await postFrom('127.0.0.9', `${server.url}/api/auth/sign-in`, {
          email: `nobody-${i}@example.test`,
          password: 'guess guess',
        });
        statuses.push(res.status);
        if (res.status === 429) expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      }
      expect(statuses.slice(0, 20).every((s) => s === 401)).toBe(true);
      expect(statuses[20]).toBe(429);
      // Another address is not affected.
      const other = await postFrom('127.0.0.10', `${server.url}/api/auth/sign-in`, DEMO_STUDENT);
      expect(other.status).toBe(200);
    });

    it('signs out: the old session cookie stops working', async () => {
      const b = new Browserish(server.url);
      const account = newAccount();
      expect((await b.post('/api/auth/sign-up', account)).status).toBe(201);
      const stolen = b.cookieHeader();
      expect((await b.post('/api/auth/sign-out')).status).toBe(200);
      const replay = await fetch(`${server.url}/api/me`, { headers: { cookie: stolen } });
      expect(replay.status).toBe(401);
    });
  });
}

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb } from '@/lib/db';
import { Browserish, newAccount } from '../helpers/http';
import { startServer, type TestServer } from '../helpers/server';

/**
 * The cohort permission matrix (issue 13, item 4) on the real server, per database
 * (cohort-permissions-{sqlite,postgresql}.test.ts): six kinds of caller × every instructor and
 * admin route, every cohort page and the grade export, each answer asserted. Another
 * instructor's cohort answers 404 (its existence is not theirs to learn); a learner, whatever
 * cohort they are in, gets 403 from the instructor area; signed out is 401 (pages redirect to
 * sign-in).
 */

type Actor = 'signedOut' | 'learner' | 'otherLearner' | 'otherInstructor' | 'instructor' | 'admin';
const ACTORS: Actor[] = ['signedOut', 'learner', 'otherLearner', 'otherInstructor', 'instructor', 'admin'];

/** Expected status per actor, in ACTORS order. */
const INSTRUCTOR_AREA = [401, 403, 403, 200, 200, 200];
const THIS_COHORT = [401, 403, 403, 404, 200, 200];
const ADMIN_ONLY = [401, 403, 403, 403, 403, 200];
const PAGE_INSTRUCTOR_AREA = [307, 403, 403, 200, 200, 200];
const PAGE_THIS_COHORT = [307, 403, 403, 404, 200, 200];
const PAGE_ADMIN = [307, 403, 403, 403, 403, 200];
const PAGE_ANY_USER = [307, 200, 200, 200, 200, 200];

export function cohortPermissionsSuite(provider: 'sqlite' | 'postgresql') {
  describe(`cohort permissions, every caller × every route and page (${provider})`, () => {
    let server: TestServer;
    const as = {} as Record<Actor, Browserish>;
    const ids = {} as Record<Actor, string>;
    const emails = {} as Record<Actor, string>;
    let cohortA = '';
    let cohortB = '';
    const spares: string[] = [];

    const item = { kind: 'quiz', itemId: 'slow-app', points: 10, dueAt: '2030-01-01T00:00:00Z' };
    const cohortBody = (name: string) => ({
      cohort: {
        name,
        startsAt: '2026-01-01T00:00:00Z',
        endsAt: '2030-12-31T00:00:00Z',
        latePenaltyPerDay: 10,
        latePenaltyMax: 50,
        items: [item],
      },
      joinCodeDays: 30,
    });

    beforeAll(async () => {
      server = await startServer({ provider, env: { SIGNUP_IP_LIMIT: '100000' } });
      const db = createDb(server.env.DATABASE_URL ?? '');
      try {
        const signUp = async (prefix: string) => {
          const b = new Browserish(server.url);
          const account = newAccount(prefix);
          const res = await b.post('/api/auth/sign-up', account);
          expect(res.status).toBe(201);
          // The id from the database, not /api/me: that request would put the viewer in the
          // server's 5 s session cache as a student before the role is set below.
          const id = (await db.user.findUnique({ where: { email: account.email }, select: { id: true } }))?.id ?? '';
          expect(id).not.toBe('');
          return { b, id, email: account.email };
        };
        for (const actor of ACTORS) {
          if (actor === 'signedOut') {
            as[actor] = new Browserish(server.url);
            continue;
          }
          const u = await signUp(actor.toLowerCase());
          as[actor] = u.b;
          ids[actor] = u.id;
          emails[actor] = u.email;
          const role = actor === 'admin' ? 'admin' : actor.endsWith('nstructor') ? 'instructor' : 'student';
          if (role !== 'student') await db.user.update({ where: { id: u.id }, data: { role } });
        }
        for (let i = 0; i < 2; i += 1) spares.push((await signUp('spare')).id);
      } finally {
        await db.$disconnect();
      }
      const a = await as.instructor.post('/api/instructor/cohorts', cohortBody('Cohort A'));
      expect(a.status).toBe(201);
      const ca = ((await a.json()) as { cohort: { id: string; joinCode: string } }).cohort;
      cohortA = ca.id;
      const b = await as.otherInstructor.post('/api/instructor/cohorts', cohortBody('Cohort B'));
      expect(b.status).toBe(201);
      const cb = ((await b.json()) as { cohort: { id: string; joinCode: string } }).cohort;
      cohortB = cb.id;
      expect((await as.learner.post('/api/cohorts/join', { code: ca.joinCode })).status).toBe(200);
      expect((await as.otherLearner.post('/api/cohorts/join', { code: cb.joinCode })).status).toBe(200);
      // Two spare members of A for the two allowed removals.
      const db2 = createDb(server.env.DATABASE_URL ?? '');
      try {
        for (const s of spares) await db2.enrollment.create({ data: { cohortId: cohortA, userId: s, joinedAt: new Date() } });
      } finally {
        await db2.$disconnect();
      }
    }, 240_000);
    afterAll(async () => {
      await server?.cleanup();
    });

    const call = async (actor: Actor, method: string, path: string, body?: unknown) => {
      const res = await as[actor].request(method, path, body);
      return {
        status: res.status,
        text: await res.text(),
        type: res.headers.get('content-type') ?? '',
        location: res.headers.get('location') ?? '',
      };
    };

    const expectRow = async (method: string, path: () => string, expected: number[], body?: () => unknown) => {
      const got: Record<string, number> = {};
      const want: Record<string, number> = {};
      for (const [i, actor] of ACTORS.entries()) {
        const expect201 = method === 'POST' && path() === '/api/instructor/cohorts' && expected[i] === 200 ? 201 : expected[i];
        want[actor] = expect201 ?? 0;
        got[actor] = (await call(actor, method, path(), body?.())).status;
      }
      expect(got, `${method} ${path()}`).toEqual(want);
    };

    it('GET /api/instructor/learners (instructors keep their list of learners)', () =>
      expectRow('GET', () => '/api/instructor/learners', INSTRUCTOR_AREA));
    it('GET /api/instructor/cohorts', () => expectRow('GET', () => '/api/instructor/cohorts', INSTRUCTOR_AREA));
    it('POST /api/instructor/cohorts', () =>
      expectRow(
        'POST',
        () => '/api/instructor/cohorts',
        INSTRUCTOR_AREA,
        () => cohortBody('Another'),
      ));
    it('GET /api/instructor/cohorts/:id', () => expectRow('GET', () => `/api/instructor/cohorts/${cohortA}`, THIS_COHORT));
    it('PUT /api/instructor/cohorts/:id', () =>
      expectRow(
        'PUT',
        () => `/api/instructor/cohorts/${cohortA}`,
        THIS_COHORT,
        () => ({ cohort: cohortBody('Cohort A').cohort }),
      ));
    it('POST /api/instructor/cohorts/:id/join-code', () =>
      expectRow(
        'POST',
        () => `/api/instructor/cohorts/${cohortA}/join-code`,
        THIS_COHORT,
        () => ({ days: 30 }),
      ));
    it('GET /api/instructor/cohorts/:id/dashboard', () =>
      expectRow('GET', () => `/api/instructor/cohorts/${cohortA}/dashboard`, THIS_COHORT));
    it('GET /api/instructor/cohorts/:id/learners/:userId', () =>
      expectRow('GET', () => `/api/instructor/cohorts/${cohortA}/learners/${ids.learner}`, THIS_COHORT));
    it('GET /api/instructor/cohorts/:id/grades (the export)', async () => {
      await expectRow('GET', () => `/api/instructor/cohorts/${cohortA}/grades?shape=canvas`, THIS_COHORT);
      const ok = await call('instructor', 'GET', `/api/instructor/cohorts/${cohortA}/grades?shape=moodle`);
      expect(ok.type).toContain('text/csv');
      expect(ok.text).toContain(emails.learner);
      expect(ok.text).not.toContain(emails.otherLearner);
    });
    it('DELETE /api/instructor/cohorts/:id/members/:userId', async () => {
      // Refused callers first; then the instructor and the admin each remove one spare member.
      for (const actor of ['signedOut', 'learner', 'otherLearner', 'otherInstructor'] as const) {
        const r = await call(actor, 'DELETE', `/api/instructor/cohorts/${cohortA}/members/${spares[0]}`);
        expect(r.status, actor).toBe(THIS_COHORT[ACTORS.indexOf(actor)]);
      }
      expect((await call('instructor', 'DELETE', `/api/instructor/cohorts/${cohortA}/members/${spares[0]}`)).status).toBe(200);
      expect((await call('admin', 'DELETE', `/api/instructor/cohorts/${cohortA}/members/${spares[1]}`)).status).toBe(200);
    });
    it('an instructor sees only their cohorts; an admin sees all', async () => {
      const mine = JSON.parse((await call('instructor', 'GET', '/api/instructor/cohorts')).text) as { cohorts: { id: string }[] };
      expect(mine.cohorts.map((c) => c.id)).toContain(cohortA);
      expect(mine.cohorts.map((c) => c.id)).not.toContain(cohortB);
      const all = JSON.parse((await call('admin', 'GET', '/api/instructor/cohorts')).text) as { cohorts: { id: string }[] };
      expect(all.cohorts.map((c) => c.id)).toEqual(expect.arrayContaining([cohortA, cohortB]));
    });
    it('learners see their own cohorts and never each other', async () => {
      await expectRow('GET', () => '/api/cohorts/mine', [401, 200, 200, 200, 200, 200]);
      const mine = await call('learner', 'GET', '/api/cohorts/mine');
      expect(mine.text).toContain('Cohort A');
      expect(mine.text).not.toContain('Cohort B');
      for (const actor of ACTORS) expect((await call(actor, 'GET', '/api/cohorts/mine')).text).not.toContain(emails.otherLearner ?? '@');
    });
    it('GET /api/admin/users', () => expectRow('GET', () => '/api/admin/users', ADMIN_ONLY));
    it('PUT /api/admin/users/:id/role', async () => {
      await expectRow(
        'PUT',
        () => `/api/admin/users/${spares[0]}/role`,
        ADMIN_ONLY,
        () => ({ role: 'student' }),
      );
      expect((await call('admin', 'PUT', `/api/admin/users/${ids.admin}/role`, { role: 'student' })).status).toBe(409);
    });

    const page = (path: () => string, expected: number[]) => async () => {
      const got: Record<string, number> = {};
      const want: Record<string, number> = {};
      for (const [i, actor] of ACTORS.entries()) {
        const r = await call(actor, 'GET', path());
        want[actor] = expected[i] ?? 0;
        got[actor] = r.status;
        if (r.status === 307) expect(r.location).toContain('/sign-in');
      }
      expect(got, `page ${path()}`).toEqual(want);
    };
    it(
      'page /instructor',
      page(() => '/instructor', PAGE_INSTRUCTOR_AREA),
    );
    it(
      'page /instructor/cohorts/new',
      page(() => '/instructor/cohorts/new', PAGE_INSTRUCTOR_AREA),
    );
    it(
      'page /instructor/cohorts/:id',
      page(() => `/instructor/cohorts/${cohortA}`, PAGE_THIS_COHORT),
    );
    it(
      'page /instructor/cohorts/:id/manage',
      page(() => `/instructor/cohorts/${cohortA}/manage`, PAGE_THIS_COHORT),
    );
    it(
      'page /instructor/cohorts/:id/learners/:userId',
      page(() => `/instructor/cohorts/${cohortA}/learners/${ids.learner}`, PAGE_THIS_COHORT),
    );
    it(
      'page /admin',
      page(() => '/admin', PAGE_ADMIN),
    );
    it(
      'page /join',
      page(() => '/join', PAGE_ANY_USER),
    );
  });
}

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Papa from 'papaparse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Viewer } from '@/lib/auth';
import {
  cohortDashboard,
  createCohort,
  exportGrades,
  getCohort,
  joinCohort,
  learnerDrillDown,
  listMyCohorts,
  removeMember,
  rotateJoinCode,
} from '@/lib/cohorts';
import { rightChoiceIndex } from '@/lib/content';
import { getCourse, markLessonRead, syncCourse } from '@/lib/course';
import { closeDb, countQueries, getDb } from '@/lib/db';
import { AppError } from '@/lib/errors';
import { answer, findScenario, startAttempt } from '@/lib/quiz';
import { deployMigrations, throwawayPostgres } from '../helpers/server';

/**
 * The cohort feature on a real database per provider (cohort-dashboard-{sqlite,postgresql}.test.ts):
 * the dashboard's figures from real rows (reviews, lesson reads, quiz walks through lib/quiz, lab
 * Checks as lib/labs records them), a bounded query count that does not grow with the cohort,
 * the join code's expiry and rotation, ownership, and the export.
 */
export function cohortDashboardSuite(provider: 'sqlite' | 'postgresql') {
  describe(`cohorts and the dashboard (${provider})`, () => {
    let cleanup: () => Promise<void> = async () => {};
    const now = new Date('2026-11-30T12:00:00Z');
    const day = 86_400_000;
    const ada: Viewer = { id: 'ada', email: 'ada@example.test', name: 'Ada', role: 'instructor' };
    const other: Viewer = { id: 'otto', email: 'otto@example.test', name: 'Otto', role: 'instructor' };
    const admin: Viewer = { id: 'root', email: 'root@example.test', name: 'Root', role: 'admin' };
    let cohortId = '';
    let code = '';

    beforeAll(async () => {
      if (provider === 'sqlite') {
        const dir = mkdtempSync(path.join(tmpdir(), 'km-cohort-'));
        process.env.DATABASE_URL = `file:${path.join(dir, 'cohort.db')}`;
        cleanup = async () => rmSync(dir, { recursive: true, force: true });
      } else {
        const pg = await throwawayPostgres();
        process.env.DATABASE_URL = pg.url;
        cleanup = pg.drop;
      }
      await closeDb();
      deployMigrations(process.env.DATABASE_URL);
      await syncCourse(getCourse(), now);
      const db = getDb();
      for (const v of [ada, other, admin]) await db.user.create({ data: { id: v.id, email: v.email, name: v.name, role: v.role } });
      for (const id of ['lea', 'max', 'ina', 'zed'])
        await db.user.create({ data: { id, email: `${id}@example.test`, name: id.toUpperCase() } });
    }, 120_000);
    afterAll(async () => {
      await closeDb();
      await cleanup();
    });

    it('creates a cohort with graded items; learners join with the code, not with an expired or rotated one', async () => {
      const c = await createCohort(
        ada,
        {
          name: 'Linux internals, winter',
          startsAt: new Date(now.getTime() - 40 * day),
          endsAt: new Date(now.getTime() + 40 * day),
          latePenaltyPerDay: 10,
          latePenaltyMax: 50,
          items: [
            { kind: 'lab', itemId: 'durable-write', points: 60, dueAt: new Date(now.getTime() - 5 * day) },
            { kind: 'quiz', itemId: 'slow-app', points: 40, dueAt: new Date(now.getTime() + 5 * day) },
          ],
        },
        14,
        new Date(now.getTime() - 40 * day),
      );
      cohortId = c.id;
      expect(c.joinCode).toMatch(/^[A-Z2-9]{4}-[A-Z2-9]{4}$/);
      // The code created 40 days ago for 14 days has expired.
      code = c.joinCode.replace('-', '');
      await expect(joinCohort('lea', code, now)).rejects.toMatchObject({ code: 'invalid_input', message: /expired/ });
      const fresh = await rotateJoinCode(ada, cohortId, 7, new Date(now.getTime() - 40 * day));
      await expect(joinCohort('lea', code, new Date(now.getTime() - 39 * day))).rejects.toMatchObject({
        message: /No cohort has this join code/,
      });
      code = fresh.joinCode.replace('-', '');
      for (const id of ['lea', 'max', 'ina', 'zed']) {
        const j = await joinCohort(id, code, new Date(now.getTime() - 35 * day));
        expect(j).toMatchObject({ cohortId, alreadyMember: false });
      }
      expect((await joinCohort('lea', code, new Date(now.getTime() - 35 * day))).alreadyMember).toBe(true);
      expect((await getCohort(ada, cohortId)).members.map((m) => m.userId)).toEqual(['ina', 'lea', 'max', 'zed']);
    });

    it('hides the cohort from another instructor (404) and shows it to an admin', async () => {
      await expect(getCohort(other, cohortId)).rejects.toMatchObject({ code: 'not_found' });
      await expect(cohortDashboard(other, cohortId, now)).rejects.toBeInstanceOf(AppError);
      await expect(exportGrades(other, cohortId, 'canvas', now)).rejects.toMatchObject({ code: 'not_found' });
      await expect(removeMember(other, cohortId, 'zed')).rejects.toMatchObject({ code: 'not_found' });
      expect((await getCohort(admin, cohortId)).name).toBe('Linux internals, winter');
    });

    it('computes the roster from the learners’ real records', async () => {
      const db = getDb();
      const cards = getCourse().cards.slice(0, 40);
      // lea: reviewed every day for 20 days, 10 mature reviews a day, 9 recalled.
      const rows = [];
      for (let d = 0; d < 20; d += 1) {
        for (let i = 0; i < 10; i += 1) {
          const card = cards[i];
          if (!card) throw new Error('course too small');
          rows.push({
            id: `lea-${d}-${i}`,
            clientReviewId: `lea-${d}-${i}-client`,
            userId: 'lea',
            cardId: card.id,
            rating: i === 0 ? 1 : 3,
            state: 2,
            due: new Date(now.getTime() - d * day),
            stability: 5,
            difficulty: 5,
            elapsedDays: 3,
            scheduledDays: 3,
            reviewedAt: new Date(now.getTime() - d * day - 2 * 3_600_000),
            previousCard: '{}',
          });
        }
      }
      await db.reviewLog.createMany({ data: rows });
      // max: 40 cards overdue by a week.
      await db.cardState.createMany({
        data: cards.map((c) => ({
          userId: 'max',
          cardId: c.id,
          introducedAt: new Date(now.getTime() - 30 * day),
          due: new Date(now.getTime() - 7 * day),
          state: 2,
          stability: 3,
        })),
      });
      await markLessonRead('lea', getCourse().lessons[0]?.id ?? '', new Date(now.getTime() - 1 * day));
      // ina: a quiz walked to its end, wrong once on the first question; a lab failed three times, then passed late.
      const quiz = getCourse().quizzes.find((q) => q.id === 'slow-app');
      if (!quiz) throw new Error('no slow-app quiz');
      let view = await startAttempt('ina', 'slow-app', new Date(now.getTime() - 3 * day));
      const scenario = findScenario(quiz, null);
      let first = true;
      let t = now.getTime() - 3 * day;
      while (view.node) {
        const node = quiz.nodes.find((x) => x.id === view.node?.id);
        if (!node) throw new Error('lost node');
        const attempt = await getDb().quizAttempt.findUniqueOrThrow({ where: { id: view.attemptId } });
        const right = rightChoiceIndex(node, findScenario(quiz, attempt.scenarioId) ?? scenario);
        if (first) {
          first = false;
          t += 1000;
          await answer('ina', view.attemptId, node.id, right === 0 ? 1 : 0, new Date(t));
        }
        t += 1000;
        view = (await answer('ina', view.attemptId, node.id, right, new Date(t))).attempt;
      }
      const failed = JSON.stringify([{ taskId: 'durable-save', passed: false, reason: 'old content', evidence: [], durationMs: 1 }]);
      const passed = JSON.stringify([
        {
          taskId: 'durable-save',
          passed: true,
          reason: 'new content',
          evidence: [{ source: 'disk image', lines: ['new content'] }],
          durationMs: 1,
        },
      ]);
      const lab = (i: number, results: string, ok: boolean, at: number) => ({
        id: `ina-lab-${i}`,
        userId: 'ina',
        labId: 'durable-write',
        sessionId: 'sess-ina-1',
        arch: 'x86_64',
        checkedAt: new Date(at),
        passed: ok ? 1 : 0,
        total: 1,
        hintsUsed: 1,
        timeSpentMs: 60_000 * (i + 1),
        results,
      });
      await db.labAttempt.createMany({
        data: [
          lab(0, failed, false, now.getTime() - 9 * day),
          lab(1, failed, false, now.getTime() - 8 * day),
          lab(2, failed, false, now.getTime() - 7 * day),
          lab(3, passed, true, now.getTime() - 3 * day),
        ],
      });
      // zed: three failed Checks and nothing since.
      await db.labAttempt.createMany({
        data: [0, 1, 2].map((i) => ({
          ...lab(i, failed, false, now.getTime() - (20 - i) * day),
          id: `zed-lab-${i}`,
          userId: 'zed',
          sessionId: 'sess-zed',
        })),
      });

      const { result: d, queries } = await countQueries(() => cohortDashboard(ada, cohortId, now));
      const by = (id: string) => {
        const r = d.learners.find((l) => l.userId === id);
        if (!r) throw new Error(`no row for ${id}`);
        return r;
      };
      expect(by('lea')).toMatchObject({ reviews: 200, retention: { reviews: 200, recalled: 180 }, streak: 20, lessonsRead: 1, flags: [] });
      expect(by('lea').reviewsPerDay).toBeCloseTo(200 / 30, 1);
      expect(by('max').overdueCards).toBe(40);
      expect(by('max').flags.map((f) => f.kind)).toEqual(['overdue', 'inactive']);
      expect(by('max').flags[0]?.reason).toBe('40 review cards overdue by more than a day');
      const inaLab = by('ina').labs.find((l) => l.labId === 'durable-write');
      expect(inaLab).toMatchObject({ status: 'passed', attempts: 4, timeMs: 240_000, best: 1, late: true });
      expect(by('ina').quizWalks).toBe(1);
      expect(by('ina').quizFirstTry).toBeLessThan(1);
      // Lab: passed 2 days after its due date → 60 × (1 − 20%) = 48. Quiz: on time, first-try share × 40.
      const g = by('ina').grade;
      expect(g.items[0]).toMatchObject({ itemId: 'durable-write', points: 48, late: true, daysLate: 2, penalty: 20, tries: 4 });
      expect(g.items[1]?.late).toBe(false);
      expect(g.items[1]?.points).toBeGreaterThan(0);
      expect(g.items[1]?.points).toBeLessThan(40);
      expect(by('ina').flags).toEqual([]);
      expect(by('zed').flags.map((f) => f.kind)).toEqual(['inactive', 'stuck-on-task']);
      expect(by('zed').flags[0]?.reason).toBe('no activity for 18 days');
      expect(by('zed').flags[1]?.reason).toContain('task "durable-save" failed 3 times in a row');
      expect(d.classView.labs.find((l) => l.labId === 'durable-write')).toMatchObject({ started: 2, passed: 1 });
      expect(d.classView.labs.find((l) => l.labId === 'durable-write')?.tasks[0]).toMatchObject({
        taskId: 'durable-save',
        failedChecks: 6,
        learnersFailing: 2,
      });
      expect(d.classView.missedNodes[0]).toMatchObject({ quizId: 'slow-app', learners: 1 });
      const heat = d.classView.retentionByPart.flatMap((p) => p.weeks).reduce((s, w) => s + w.reviews, 0);
      expect(heat).toBe(200);
      expect(queries).toBeLessThanOrEqual(13);

      // The same number of queries for a cohort ten times the size.
      const db2 = getDb();
      for (let i = 0; i < 40; i += 1) {
        await db2.user.create({ data: { id: `bulk${i}`, email: `bulk${i}@example.test`, name: `Bulk ${i}` } });
        await joinCohort(`bulk${i}`, code, new Date(now.getTime() - 35 * day));
      }
      const bigger = await countQueries(() => cohortDashboard(ada, cohortId, now));
      expect(bigger.result.learners).toHaveLength(44);
      expect(bigger.queries).toBe(queries);
    }, 60_000);

    it('drills into one learner with each lab Check’s evidence, and exports the grades', async () => {
      const dd = await learnerDrillDown(ada, cohortId, 'ina', now);
      expect(dd.labs).toHaveLength(4);
      expect(dd.labs[0]?.results[0]).toMatchObject({
        taskId: 'durable-save',
        passed: true,
        evidence: [{ source: 'disk image', lines: ['new content'] }],
      });
      expect(dd.grade.items[0]?.points).toBe(48);
      await expect(learnerDrillDown(ada, cohortId, 'root', now)).rejects.toMatchObject({ code: 'not_found' });

      const canvas = await exportGrades(ada, cohortId, 'canvas', now);
      const rows = Papa.parse<string[]>(canvas.csv.trim()).data;
      expect(rows[0]?.slice(0, 5)).toEqual(['Student', 'ID', 'SIS User ID', 'SIS Login ID', 'Section']);
      expect(rows[1]?.[0]?.trim()).toBe('Points Possible');
      const ina = rows.find((r) => r[3] === 'ina@example.test');
      expect(ina?.[5]).toBe('48');
      const moodle = Papa.parse<string[]>((await exportGrades(ada, cohortId, 'moodle', now)).csv.trim()).data;
      expect(moodle[0]?.[0]).toBe('Email address');
      const inaM = moodle.find((r) => r[0] === 'ina@example.test');
      expect(inaM?.at(-2)).toBe('yes (2 days, -20%)');

      // A learner can be in several cohorts, and sees only cohort facts, never other members.
      const second = await createCohort(
        other,
        {
          name: 'Second class',
          startsAt: now,
          endsAt: new Date(now.getTime() + 10 * day),
          latePenaltyPerDay: 0,
          latePenaltyMax: 0,
          items: [],
        },
        7,
        now,
      );
      await joinCohort('lea', second.joinCode.replace('-', ''), now);
      const mine = await listMyCohorts('lea');
      expect(mine.map((c) => c.name).sort()).toEqual(['Linux internals, winter', 'Second class']);
      expect(JSON.stringify(mine)).not.toContain('ina@example.test');

      await removeMember(ada, cohortId, 'zed');
      expect((await getCohort(ada, cohortId)).members.some((m) => m.userId === 'zed')).toBe(false);
      await expect(removeMember(ada, cohortId, 'zed')).rejects.toMatchObject({ code: 'not_found' });
    });
  });
}

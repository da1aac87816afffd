/**
 * npm run bench:cohort — the cohort dashboard's server time with a class of 300.
 *
 * For each database (PostgreSQL first when reachable, then the embedded SQLite file): a fresh
 * database with the migrations and the course, BENCH_LEARNERS learners (default 300) in one
 * cohort with every graded lab and three graded quizzes, and 90 days of generated history per
 * learner — reviews on most days (ReviewLog), card states with some learners far behind
 * (CardState), lessons read, quiz walks with their steps, lab sessions and Checks with per-task
 * results and evidence. Then `cohortDashboard` — the one lib/ call the dashboard page and its API
 * route make — runs BENCH_RUNS times (default 15) after 2 warm-up runs; each run is timed, and its
 * SQL statements are counted at the driver adapter (`countQueries`). HTTP parsing and the session
 * lookup are not included: this is the dashboard's own server time.
 *
 * BENCH_KEEP=1 keeps the generated databases (their location is printed) for profiling.
 *
 * The last line is read by scripts and stays exactly (the SQLite figures):
 *   cohort learners=300 p50_ms=<x> queries=<n>
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Viewer } from '@/lib/auth';
import { cohortDashboard, createCohort, gradableItems } from '@/lib/cohorts';
import { getCourse, syncCourse } from '@/lib/course';
import { closeDb, countQueries, type Db, getDb, type Prisma } from '@/lib/db';
import { seededRandom } from '@/lib/prng';
import { deployMigrations, postgresReachable, throwawayPostgres } from '../test/helpers/server';

const LEARNERS = Number(process.env.BENCH_LEARNERS ?? 300);
const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const DBS = (process.env.BENCH_DBS ?? 'postgresql,sqlite').split(',');
const DAYS = 90;
const DAY = 86_400_000;
const fmt = (n: number) => (Math.round(n * 10) / 10).toString();

async function insertChunked<T>(rows: T[], insert: (chunk: T[]) => Promise<unknown>, size = 2000) {
  for (let i = 0; i < rows.length; i += size) await insert(rows.slice(i, i + size));
}

/** Generates the class; returns the owner and the cohort id. */
async function seedClass(db: Db, now: Date): Promise<{ owner: Viewer; cohortId: string; counts: Record<string, number> }> {
  const course = getCourse();
  const rand = seededRandom(13);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const owner: Viewer = { id: 'bench-instructor', email: 'bench-instructor@example.test', name: 'Bench Instructor', role: 'instructor' };
  await db.user.create({ data: { id: owner.id, email: owner.email, name: owner.name, role: owner.role } });
  const items = gradableItems();
  const labs = items.filter((i) => i.kind === 'lab');
  const quizzes = items.filter((i) => i.kind === 'quiz').slice(0, 3);
  const cohort = await createCohort(
    owner,
    {
      name: 'Benchmark class',
      startsAt: new Date(now.getTime() - DAYS * DAY),
      endsAt: new Date(now.getTime() + 30 * DAY),
      latePenaltyPerDay: 10,
      latePenaltyMax: 50,
      items: [...labs, ...quizzes].map((i, k) => ({
        kind: i.kind,
        itemId: i.itemId,
        points: 20,
        dueAt: new Date(now.getTime() - (40 - k * 10) * DAY),
      })),
    },
    365,
    new Date(now.getTime() - DAYS * DAY),
  );
  const cards = course.cards.map((c) => c.id);
  const users = Array.from({ length: LEARNERS }, (_, i) => ({
    id: `bench-l${i}`,
    email: `bench-l${i}@example.test`,
    name: `Learner ${String(i).padStart(3, '0')}`,
  }));
  await insertChunked(users, (c) => db.user.createMany({ data: c }));
  await insertChunked(
    users.map((u) => ({ cohortId: cohort.id, userId: u.id, joinedAt: new Date(now.getTime() - DAYS * DAY) })),
    (c) => db.enrollment.createMany({ data: c }),
  );
  const reviews: Prisma.ReviewLogCreateManyInput[] = [];
  const states: { userId: string; cardId: string; introducedAt: Date; due: Date; state: number; stability: number; reps: number }[] = [];
  const reads: { userId: string; lessonId: string; readAt: Date }[] = [];
  const attempts: {
    id: string;
    userId: string;
    quizId: string;
    scenarioId: string | null;
    nodeId: string | null;
    leafId: string | null;
    startedAt: Date;
    finishedAt: Date | null;
  }[] = [];
  const steps: { id: string; attemptId: string; nodeId: string; choiceIndex: number; correct: boolean; answeredAt: Date }[] = [];
  const sessions: {
    id: string;
    userId: string;
    labId: string;
    arch: string;
    status: string;
    runnerId: string;
    startedAt: Date;
    expiresAt: Date;
    endedAt: Date;
  }[] = [];
  const checks: {
    id: string;
    userId: string;
    labId: string;
    sessionId: string;
    arch: string;
    checkedAt: Date;
    passed: number;
    total: number;
    hintsUsed: number;
    timeSpentMs: number;
    results: string;
  }[] = [];
  const labTasks = new Map((await import('@/lib/content')).labCatalog().map((l) => [l.id, l.tasks.map((t) => t.id)] as const));
  let n = 0;
  for (const [ui, u] of users.entries()) {
    // Learners differ: most review most days, some drift away, a few never started.
    const diligence = ui % 10 === 0 ? 0 : ui % 7 === 0 ? 0.3 : 0.6 + rand() * 0.35;
    const stopsAfter = ui % 11 === 0 ? Math.floor(rand() * 60) : DAYS;
    const own = cards.slice(0, 150 + Math.floor(rand() * 250));
    for (let d = DAYS - 1; d >= 0; d -= 1) {
      if (DAYS - d > stopsAfter || rand() > diligence) continue;
      const perDay = 5 + Math.floor(rand() * 30);
      const hour = 6 + Math.floor(rand() * 14);
      for (let k = 0; k < perDay; k += 1) {
        const at = new Date(now.getTime() - d * DAY - (24 - hour) * 3_600_000 + k * 20_000);
        n += 1;
        const state = rand() < 0.8 ? 2 : rand() < 0.5 ? 0 : 1;
        reviews.push({
          id: `r${n}`,
          clientReviewId: `c${n}`,
          userId: u.id,
          cardId: pick(own),
          rating: rand() < 0.12 + (ui % 13 === 0 && d < 14 ? 0.3 : 0) ? 1 : rand() < 0.1 ? 2 : rand() < 0.9 ? 3 : 4,
          state,
          due: at,
          stability: 5,
          difficulty: 5,
          elapsedDays: 3,
          scheduledDays: 3,
          reviewedAt: at,
          durationMs: 4000 + Math.floor(rand() * 8000),
          previousCard: '{}',
        });
      }
    }
    for (const [ci, cardId] of own.entries()) {
      const behind = ui % 9 === 0;
      states.push({
        userId: u.id,
        cardId,
        introducedAt: new Date(now.getTime() - DAYS * DAY),
        due: new Date(now.getTime() + (behind ? -(ci % 20) - 2 : (ci % 30) - 3) * DAY),
        state: 2,
        stability: 10,
        reps: 4,
      });
    }
    for (const l of course.lessons)
      if (rand() < diligence)
        reads.push({ userId: u.id, lessonId: l.id, readAt: new Date(now.getTime() - Math.floor(rand() * DAYS) * DAY) });
    for (let a = 0; a < Math.floor(diligence * 8); a += 1) {
      const quiz = course.quizzes[Math.floor(rand() * course.quizzes.length)];
      if (!quiz) continue;
      const id = `qa-${u.id}-${a}`;
      const start = now.getTime() - Math.floor(rand() * DAYS) * DAY;
      const path = quiz.nodes.slice(0, Math.min(quiz.nodes.length, 3 + Math.floor(rand() * 3)));
      const finished = rand() < 0.85;
      attempts.push({
        id,
        userId: u.id,
        quizId: quiz.id,
        scenarioId: null,
        nodeId: finished ? null : (path[0]?.id ?? null),
        leafId: finished ? (quiz.leaves[0]?.id ?? null) : null,
        startedAt: new Date(start),
        finishedAt: finished ? new Date(start + 600_000) : null,
      });
      for (const [si, node] of path.entries()) {
        const right = Math.max(
          0,
          node.choices.findIndex((c) => c.correct),
        );
        if (rand() < 0.3)
          steps.push({
            id: `${id}-s${si}w`,
            attemptId: id,
            nodeId: node.id,
            choiceIndex: right === 0 ? 1 : 0,
            correct: false,
            answeredAt: new Date(start + si * 60_000),
          });
        steps.push({
          id: `${id}-s${si}`,
          attemptId: id,
          nodeId: node.id,
          choiceIndex: right,
          correct: true,
          answeredAt: new Date(start + si * 60_000 + 30_000),
        });
      }
    }
    for (const lab of labs) {
      if (rand() > diligence) continue;
      const sid = `ls-${u.id}-${lab.itemId}`;
      const start = now.getTime() - Math.floor(rand() * 60) * DAY;
      sessions.push({
        id: sid,
        userId: u.id,
        labId: lab.itemId,
        arch: 'x86_64',
        status: 'ended',
        runnerId: 'bench',
        startedAt: new Date(start),
        expiresAt: new Date(start + 3_600_000),
        endedAt: new Date(start + 3_600_000),
      });
      const tasks = labTasks.get(lab.itemId) ?? [];
      const tries = 1 + Math.floor(rand() * 5);
      for (let t = 0; t < tries; t += 1) {
        const last = t === tries - 1;
        const results = tasks.map((taskId) => {
          const passed = last ? rand() < 0.7 : rand() < 0.3;
          return {
            taskId,
            passed,
            reason: passed ? 'The measurement matched what the task asks.' : 'The measurement did not yet show what the task asks.',
            evidence: [
              {
                source: 'perf stat -x, -e syscalls',
                lines: Array.from(
                  { length: 6 },
                  (_, i) => `${1000 + i * 37},,syscalls:sys_enter_${['write', 'fsync', 'futex', 'read', 'openat', 'close'][i]},${i}`,
                ),
              },
            ],
            durationMs: 800,
          };
        });
        checks.push({
          id: `lc-${u.id}-${lab.itemId}-${t}`,
          userId: u.id,
          labId: lab.itemId,
          sessionId: sid,
          arch: 'x86_64',
          checkedAt: new Date(start + (t + 1) * 300_000),
          passed: results.filter((r) => r.passed).length,
          total: results.length,
          hintsUsed: t,
          timeSpentMs: (t + 1) * 300_000,
          results: JSON.stringify(results),
        });
      }
    }
  }
  await insertChunked(reviews, (c) => db.reviewLog.createMany({ data: c }));
  await insertChunked(states, (c) => db.cardState.createMany({ data: c }));
  await insertChunked(reads, (c) => db.lessonProgress.createMany({ data: c }));
  await insertChunked(attempts, (c) => db.quizAttempt.createMany({ data: c }));
  await insertChunked(steps, (c) => db.quizStep.createMany({ data: c }));
  await insertChunked(sessions, (c) => db.labSession.createMany({ data: c }));
  await insertChunked(checks, (c) => db.labAttempt.createMany({ data: c }), 500);
  return {
    owner,
    cohortId: cohort.id,
    counts: {
      reviews: reviews.length,
      cardStates: states.length,
      lessonReads: reads.length,
      quizWalks: attempts.length,
      quizSteps: steps.length,
      labSessions: sessions.length,
      labChecks: checks.length,
    },
  };
}

async function bench(provider: 'sqlite' | 'postgresql'): Promise<{ p50: number; queries: number }> {
  let cleanup: () => Promise<void>;
  if (provider === 'sqlite') {
    const dir = mkdtempSync(path.join(tmpdir(), 'km-bench-cohort-'));
    process.env.DATABASE_URL = `file:${path.join(dir, 'bench.db')}`;
    cleanup = async () => (process.env.BENCH_KEEP ? console.error(`kept ${dir}`) : rmSync(dir, { recursive: true, force: true }));
  } else {
    const pg = await throwawayPostgres();
    process.env.DATABASE_URL = pg.url;
    cleanup = async () => (process.env.BENCH_KEEP ? console.error(`kept ${pg.url}`) : pg.drop());
  }
  try {
    await closeDb();
    deployMigrations(process.env.DATABASE_URL);
    const now = new Date();
    await syncCourse(getCourse(), now);
    const t0 = performance.now();
    const { owner, cohortId, counts } = await seedClass(getDb(), now);
    // PostgreSQL plans from table statistics, which autovacuum gathers some time after a bulk
    // load; a real class's tables have them, so gather them now. (SQLite plans from its indexes.)
    if (provider === 'postgresql') await getDb().$executeRawUnsafe('ANALYZE');
    console.error(
      `[${provider}] generated in ${fmt((performance.now() - t0) / 1000)} s: ${LEARNERS} learners, ${Object.entries(counts)
        .map(([k, v]) => `${v} ${k}`)
        .join(', ')}`,
    );
    const times: number[] = [];
    let queries = 0;
    for (let i = 0; i < RUNS + 2; i += 1) {
      const start = performance.now();
      const { result, queries: q } = await countQueries(() => cohortDashboard(owner, cohortId, new Date()));
      const ms = performance.now() - start;
      if (result.learners.length !== LEARNERS) throw new Error(`dashboard shows ${result.learners.length} learners, expected ${LEARNERS}`);
      if (i >= 2) times.push(ms);
      queries = q;
    }
    times.sort((a, b) => a - b);
    const p50 = times[Math.floor(times.length / 2)] ?? 0;
    console.error(
      `[${provider}] dashboard over ${RUNS} runs: p50 ${fmt(p50)} ms, min ${fmt(times[0] ?? 0)} ms, max ${fmt(times.at(-1) ?? 0)} ms, ${queries} SQL statements per run`,
    );
    return { p50, queries };
  } finally {
    await closeDb();
    await cleanup();
  }
}

const results: Partial<Record<'sqlite' | 'postgresql', { p50: number; queries: number }>> = {};
if (DBS.includes('postgresql')) {
  if (await postgresReachable()) results.postgresql = await bench('postgresql');
  else console.error('PostgreSQL not reachable at TEST_POSTGRES_URL: skipping its run');
}
if (DBS.includes('sqlite')) results.sqlite = await bench('sqlite');
if (results.postgresql)
  console.log(`cohort learners=${LEARNERS} p50_ms=${fmt(results.postgresql.p50)} queries=${results.postgresql.queries} db=postgresql`);
if (results.sqlite) console.log(`cohort learners=${LEARNERS} p50_ms=${fmt(results.sqlite.p50)} queries=${results.sqlite.queries}`);
process.exit(0);

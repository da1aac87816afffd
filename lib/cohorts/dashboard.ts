import type { Viewer } from '@/lib/auth';
import { labCatalog } from '@/lib/content';
import { getCourse } from '@/lib/course';
import { dbProvider, getDb, Prisma } from '@/lib/db';
import { CardStateCode, reviewDateOf, reviewDayAt } from '@/lib/srs';
import { findManagedCohort, gradableItems, itemSpecs } from './cohorts';
import {
  DAY_MS,
  describeGradeRule,
  FLAG_RULES,
  type Flag,
  failuresSinceLastPass,
  type GradedItemSpec,
  gradeLearner,
  type ItemTry,
  type LateRule,
  type LearnerGrade,
  streakOf,
  struggleFlags,
} from './rules';

/**
 * The cohort dashboard, built from the learners' real records (ReviewLog, CardState,
 * LessonProgress, QuizAttempt/QuizStep, LabSession, LabAttempt) with a fixed number of grouped
 * queries whatever the cohort's size — never a query per learner. Each query joins Enrollment
 * for the cohort, the database does the grouping (per learner × UTC hour for reviews, per
 * attempt × node for quizzes, per Check × task for labs), and the rest (the learner's own days,
 * streaks, retention, grades, flags) is computed here from those rows.
 *
 * Reviews are grouped by UTC hour and each hour is placed in the learner's own day (their time
 * zone and day-start hour, as the Review page counts): exact for every zone whose offset is a whole
 * number of hours; in a half-hour zone, reviews in the half hour after the day boundary count on
 * the day before.
 */

/**
 * Days of review history the dashboard reads per learner: the roster's 30 days and the flags'
 * two 14-day windows fit; a streak that reaches back this far shows as "≥ 31 d". Each day more
 * is ~1/30 more rows to scan.
 */
export const REVIEW_WINDOW_DAYS = 31;
/** Days the roster's "reviews per day" and "retention" cover. */
export const ROSTER_DAYS = 30;
/** Weeks of the class's retention-by-part heatmap. */
export const HEATMAP_WEEKS = 6;

export type LabStatus = 'not-started' | 'in-progress' | 'passed';

export interface LearnerLab {
  labId: string;
  status: LabStatus;
  attempts: number;
  /** Time in the lab: per session, the time at its last Check, summed. */
  timeMs: number;
  /** Best share of tasks passed in one Check (0–1), null before any Check. */
  best: number | null;
  /** Passed after the due date, or not passed and the due date is gone (graded labs only). */
  late: boolean;
}

export interface LearnerRow {
  userId: string;
  name: string;
  email: string;
  joinedAt: string;
  lastActivity: string | null;
  streak: number;
  /** The streak reaches back to the start of the window read: at least `streak` days. */
  streakAtLeast: boolean;
  /** Reviews over the last ROSTER_DAYS days, and per day on average. */
  reviews: number;
  reviewsPerDay: number;
  /** Mature-card reviews and recalls over the last ROSTER_DAYS days (true retention). */
  retention: { reviews: number; recalled: number };
  desiredRetention: number;
  overdueCards: number;
  lessonsRead: number;
  /** Finished quiz walks and their average first-try share (null: none finished). */
  quizWalks: number;
  quizFirstTry: number | null;
  labs: LearnerLab[];
  grade: LearnerGrade;
  flags: Flag[];
}

export interface CohortDashboard {
  cohort: {
    id: string;
    name: string;
    startsAt: string;
    endsAt: string;
    lateRule: LateRule;
    items: { kind: 'lab' | 'quiz'; itemId: string; title: string; points: number; dueAt: string }[];
  };
  asOf: string;
  gradeRule: string[];
  lessonsTotal: number;
  labs: { labId: string; title: string; graded: boolean }[];
  learners: LearnerRow[];
  classView: ClassView;
}

export interface ClassView {
  /** True retention per course part per week (oldest week first), the class together. */
  retentionByPart: { partId: string; title: string; weeks: { start: string; reviews: number; recalled: number }[] }[];
  /** Quiz questions the most learners got wrong at least once. */
  missedNodes: { quizId: string; quizTitle: string; nodeId: string; prompt: string; learners: number; misses: number }[];
  /** Per lab: learners who started, who passed, and the tasks that fail most. */
  labs: {
    labId: string;
    title: string;
    started: number;
    passed: number;
    tasks: { taskId: string; title: string; failedChecks: number; learnersFailing: number }[];
  }[];
  /** Reviews per UTC day by the whole class, the last ROSTER_DAYS days. */
  reviewsPerDay: { date: string; reviews: number }[];
}

const n = (v: unknown): number => (typeof v === 'bigint' ? Number(v) : typeof v === 'number' ? v : v == null ? 0 : Number(v));
const dateOrNull = (v: unknown): Date | null => {
  if (v == null) return null;
  const d = v instanceof Date ? v : new Date(String(v));
  return Number.isNaN(d.getTime()) ? null : d;
};
/** An hour bucket as 'YYYY-MM-DDTHH' (UTC), from SQLite's text or PostgreSQL's timestamp. */
const hourKey = (v: unknown): string | null => {
  if (typeof v === 'string') return v.length >= 13 ? v.slice(0, 13).replace(' ', 'T') : null;
  const d = dateOrNull(v);
  return d ? d.toISOString().slice(0, 13) : null;
};
const truthy = (v: unknown) => v === true || v === 1 || v === 1n || v === 'true' || v === '1';

/** SQL pieces that differ between SQLite and PostgreSQL. */
function dialect() {
  const pg = dbProvider() === 'postgresql';
  return {
    /**
     * A timestamp column cut to its UTC hour: 'YYYY-MM-DDTHH' text on SQLite (ISO strings), a
     * timestamp on PostgreSQL (date_trunc is ~25% cheaper per row than to_char); `hourKey` below
     * reads both.
     */
    hour: (col: Prisma.Sql) => (pg ? Prisma.sql`date_trunc('hour', ${col})` : Prisma.sql`substr(${col}, 1, 13)`),
    /** The tasks of a LabAttempt's results JSON, one row each (columns taskId, taskPassed). */
    tasksJoin: pg
      ? Prisma.sql`LEFT JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(a."results"::jsonb) = 'array' THEN a."results"::jsonb ELSE '[]'::jsonb END) AS t(value) ON true`
      : Prisma.sql`LEFT JOIN json_each(CASE WHEN json_valid(a."results") AND json_type(a."results") = 'array' THEN a."results" ELSE '[]' END) AS t`,
    taskId: pg ? Prisma.sql`t.value->>'taskId'` : Prisma.sql`json_extract(t.value, '$.taskId')`,
    taskPassed: pg ? Prisma.sql`t.value->>'passed'` : Prisma.sql`json_extract(t.value, '$.passed')`,
  };
}

/** The dashboard of a cohort `viewer` manages (404 otherwise). */
export async function cohortDashboard(viewer: Viewer, cohortId: string, now: Date): Promise<CohortDashboard> {
  const db = getDb();
  const sql = dialect();
  const cohort = await findManagedCohort(viewer, cohortId);
  const items = itemSpecs(cohort.items);
  const lateRule: LateRule = { perDay: cohort.latePenaltyPerDay, max: cohort.latePenaltyMax };
  const course = getCourse();
  const windowStart = new Date(now.getTime() - (REVIEW_WINDOW_DAYS + 1) * DAY_MS);
  const heatStart = new Date(now.getTime() - HEATMAP_WEEKS * 7 * DAY_MS);
  const overdueBefore = new Date(now.getTime() - DAY_MS);
  const inCohort = Prisma.sql`JOIN "Enrollment" e ON e."userId" = x."userId" AND e."cohortId" = ${cohortId}`;

  const weekStarts = Array.from({ length: HEATMAP_WEEKS }, (_, i) => new Date(heatStart.getTime() + i * 7 * DAY_MS));
  const weekOf = Prisma.sql`CASE ${Prisma.join(
    weekStarts.slice(1).map((start, i) => Prisma.sql`WHEN x."reviewedAt" < ${start} THEN ${Prisma.raw(String(i))}`),
    ' ',
  )} ELSE ${Prisma.raw(String(HEATMAP_WEEKS - 1))} END`;
  const [members, reviewHours, perLearner, quizNodes, labChecks, labSessions, cardWeeks, cardParts] = await Promise.all([
    db.enrollment.findMany({
      where: { cohortId },
      orderBy: [{ joinedAt: 'asc' }, { user: { name: 'asc' } }],
      select: {
        joinedAt: true,
        user: {
          select: {
            id: true,
            name: true,
            email: true,
            settings: { select: { timezone: true, dayStartHour: true, desiredRetention: true } },
          },
        },
      },
    }),
    db.$queryRaw<{ userId: string; hour: unknown; reviews: unknown; mature: unknown; recalled: unknown }[]>(Prisma.sql`
      SELECT x."userId" AS "userId", ${sql.hour(Prisma.sql`x."reviewedAt"`)} AS "hour", COUNT(*) AS "reviews",
             SUM(CASE WHEN x."state" = ${CardStateCode.review} THEN 1 ELSE 0 END) AS "mature",
             SUM(CASE WHEN x."state" = ${CardStateCode.review} AND x."rating" > 1 THEN 1 ELSE 0 END) AS "recalled"
      FROM "ReviewLog" x ${inCohort}
      WHERE x."reviewedAt" >= ${windowStart}
      GROUP BY 1, 2`),
    // One row per learner; each correlated subquery is an index lookup on that learner's rows.
    db.$queryRaw<
      {
        userId: string;
        lastReview: unknown;
        lastRead: unknown;
        lessonsRead: unknown;
        lastStep: unknown;
        lastCheck: unknown;
        lastLab: unknown;
        overdue: unknown;
      }[]
    >(Prisma.sql`
      SELECT x."userId" AS "userId",
        (SELECT MAX(r."reviewedAt") FROM "ReviewLog" r WHERE r."userId" = x."userId") AS "lastReview",
        (SELECT MAX(p."readAt") FROM "LessonProgress" p WHERE p."userId" = x."userId") AS "lastRead",
        (SELECT COUNT(*) FROM "LessonProgress" p JOIN "Lesson" l ON l."id" = p."lessonId" AND l."retiredAt" IS NULL WHERE p."userId" = x."userId") AS "lessonsRead",
        (SELECT MAX(s."answeredAt") FROM "QuizAttempt" q JOIN "QuizStep" s ON s."attemptId" = q."id" WHERE q."userId" = x."userId") AS "lastStep",
        (SELECT MAX(c."checkedAt") FROM "LabAttempt" c WHERE c."userId" = x."userId") AS "lastCheck",
        (SELECT MAX(ls."startedAt") FROM "LabSession" ls WHERE ls."userId" = x."userId") AS "lastLab",
        (SELECT COUNT(*) FROM "CardState" cs JOIN "Card" k ON k."id" = cs."cardId" AND k."retiredAt" IS NULL
          WHERE cs."userId" = x."userId" AND cs."due" < ${overdueBefore} AND cs."state" <> ${CardStateCode.new} AND cs."suspendedAt" IS NULL) AS "overdue"
      FROM "Enrollment" x WHERE x."cohortId" = ${cohortId}`),
    db.$queryRaw<
      { attemptId: string; userId: string; quizId: string; finishedAt: unknown; nodeId: string; ok: unknown; missed: unknown }[]
    >(Prisma.sql`
      SELECT a."id" AS "attemptId", a."userId" AS "userId", a."quizId" AS "quizId", a."finishedAt" AS "finishedAt", s."nodeId" AS "nodeId",
             MAX(CASE WHEN s."correct" THEN 1 ELSE 0 END) AS "ok", MAX(CASE WHEN s."correct" THEN 0 ELSE 1 END) AS "missed"
      FROM "QuizAttempt" a JOIN "Enrollment" e ON e."userId" = a."userId" AND e."cohortId" = ${cohortId}
      JOIN "QuizStep" s ON s."attemptId" = a."id"
      GROUP BY a."id", a."userId", a."quizId", a."finishedAt", s."nodeId"`),
    db.$queryRaw<
      {
        attemptId: string;
        userId: string;
        labId: string;
        sessionId: string;
        checkedAt: unknown;
        passed: unknown;
        total: unknown;
        timeSpentMs: unknown;
        taskId: string | null;
        taskPassed: unknown;
      }[]
    >(Prisma.sql`
      SELECT a."id" AS "attemptId", a."userId" AS "userId", a."labId" AS "labId", a."sessionId" AS "sessionId", a."checkedAt" AS "checkedAt",
             a."passed" AS "passed", a."total" AS "total", a."timeSpentMs" AS "timeSpentMs", ${sql.taskId} AS "taskId", ${sql.taskPassed} AS "taskPassed"
      FROM "LabAttempt" a JOIN "Enrollment" e ON e."userId" = a."userId" AND e."cohortId" = ${cohortId}
      ${sql.tasksJoin}`),
    db.$queryRaw<{ userId: string; labId: string; sessions: unknown }[]>(Prisma.sql`
      SELECT x."userId" AS "userId", x."labId" AS "labId", COUNT(*) AS "sessions"
      FROM "LabSession" x ${inCohort} GROUP BY x."userId", x."labId"`),
    // Per card × week (the week found by comparing with the weeks' starts, which both databases do
    // on the index's own column); cards map to their part below. No join: one scan of the index.
    db.$queryRaw<{ cardId: string; week: unknown; reviews: unknown; recalled: unknown }[]>(Prisma.sql`
      SELECT x."cardId" AS "cardId", ${weekOf} AS "week", COUNT(*) AS "reviews", SUM(CASE WHEN x."rating" > 1 THEN 1 ELSE 0 END) AS "recalled"
      FROM "ReviewLog" x ${inCohort}
      WHERE x."reviewedAt" >= ${heatStart} AND x."state" = ${CardStateCode.review}
      GROUP BY 1, 2`),
    db.card.findMany({ select: { id: true, partId: true } }),
  ]);

  // ── Reviews: each UTC hour into the learner's own day ──
  const dayCache = new Map<string, string>();
  const localDate = (hour: string, tz: string, startHour: number) => {
    const key = `${tz}|${startHour}|${hour}`;
    let d = dayCache.get(key);
    if (d === undefined) {
      d = reviewDateOf(new Date(`${hour}:00:00Z`), tz, startHour);
      dayCache.set(key, d);
    }
    return d;
  };
  const settingsOf = new Map(
    members.map((m) => [
      m.user.id,
      {
        tz: m.user.settings?.timezone ?? 'UTC',
        startHour: m.user.settings?.dayStartHour ?? 4,
        desired: m.user.settings?.desiredRetention ?? 0.9,
      },
    ]),
  );
  const reviewDays = new Map<string, Map<string, { reviews: number; mature: number; recalled: number }>>();
  const classDays = new Map<string, number>();
  for (const r of reviewHours) {
    const s = settingsOf.get(r.userId);
    const hour = hourKey(r.hour);
    if (!s || hour === null) continue;
    const date = localDate(hour, s.tz, s.startHour);
    const days = reviewDays.get(r.userId) ?? new Map();
    reviewDays.set(r.userId, days);
    const e = days.get(date) ?? { reviews: 0, mature: 0, recalled: 0 };
    e.reviews += n(r.reviews);
    e.mature += n(r.mature);
    e.recalled += n(r.recalled);
    days.set(date, e);
    const utcDate = hour.slice(0, 10);
    classDays.set(utcDate, (classDays.get(utcDate) ?? 0) + n(r.reviews));
  }

  // ── Quizzes: per attempt, questions passed and passed on the first try ──
  const attempts = new Map<string, { userId: string; quizId: string; finishedAt: Date | null; passed: number; firstTry: number }>();
  const missedBy = new Map<string, { learners: Set<string>; misses: number }>();
  for (const r of quizNodes) {
    const a = attempts.get(r.attemptId) ?? {
      userId: r.userId,
      quizId: r.quizId,
      finishedAt: dateOrNull(r.finishedAt),
      passed: 0,
      firstTry: 0,
    };
    attempts.set(r.attemptId, a);
    const ok = n(r.ok) === 1;
    const missed = n(r.missed) === 1;
    if (ok) a.passed += 1;
    if (ok && !missed) a.firstTry += 1;
    if (missed) {
      const key = `${r.quizId}\u0000${r.nodeId}`;
      const m = missedBy.get(key) ?? { learners: new Set(), misses: 0 };
      m.learners.add(r.userId);
      m.misses += 1;
      missedBy.set(key, m);
    }
  }
  const quizTries = new Map<string, ItemTry[]>(); // userId\0quizId
  const quizByLearner = new Map<string, { walks: number; share: number }>();
  for (const a of attempts.values()) {
    if (!a.finishedAt || a.passed === 0) continue;
    const fraction = a.firstTry / a.passed;
    const key = `${a.userId}\u0000${a.quizId}`;
    quizTries.set(key, [...(quizTries.get(key) ?? []), { at: a.finishedAt, fraction }]);
    const q = quizByLearner.get(a.userId) ?? { walks: 0, share: 0 };
    q.walks += 1;
    q.share += fraction;
    quizByLearner.set(a.userId, q);
  }

  // ── Labs: per Check, per task ──
  type Check = {
    userId: string;
    labId: string;
    sessionId: string;
    at: Date;
    passed: number;
    total: number;
    timeMs: number;
    tasks: { taskId: string; passed: boolean }[];
  };
  const checks = new Map<string, Check>();
  for (const r of labChecks) {
    let c = checks.get(r.attemptId);
    if (!c) {
      c = {
        userId: r.userId,
        labId: r.labId,
        sessionId: r.sessionId,
        at: dateOrNull(r.checkedAt) ?? now,
        passed: n(r.passed),
        total: n(r.total),
        timeMs: n(r.timeSpentMs),
        tasks: [],
      };
      checks.set(r.attemptId, c);
    }
    if (r.taskId) c.tasks.push({ taskId: r.taskId, passed: truthy(r.taskPassed) });
  }
  const checksOf = new Map<string, Check[]>(); // userId\0labId
  for (const c of checks.values()) {
    const key = `${c.userId}\u0000${c.labId}`;
    const list = checksOf.get(key) ?? [];
    list.push(c);
    checksOf.set(key, list);
  }
  const sessionsOf = new Map(labSessions.map((s) => [`${s.userId}\u0000${s.labId}`, n(s.sessions)]));

  const catalog = labCatalog();
  const graded = new Set(items.filter((i) => i.kind === 'lab').map((i) => i.itemId));
  const labList = gradableItems()
    .filter((g) => g.kind === 'lab')
    .map((g) => ({ labId: g.itemId, title: g.title, graded: graded.has(g.itemId) }));
  const taskTitle = new Map(catalog.flatMap((l) => l.tasks.map((t) => [`${l.id}\u0000${t.id}`, t.title] as const)));
  const labTitle = new Map(catalog.map((l) => [l.id, l.title]));

  const triesOf =
    (userId: string) =>
    (item: GradedItemSpec): ItemTry[] => {
      const key = `${userId}\u0000${item.itemId}`;
      if (item.kind === 'quiz') return quizTries.get(key) ?? [];
      return (checksOf.get(key) ?? []).map((c) => ({ at: c.at, fraction: c.total === 0 ? 0 : c.passed / c.total }));
    };

  const facts = new Map(perLearner.map((p) => [p.userId, p]));
  const today = (userId: string) => {
    const s = settingsOf.get(userId);
    return reviewDayAt(now, s?.tz ?? 'UTC', s?.startHour ?? 4).date;
  };
  const addDays = (date: string, k: number) => new Date(Date.parse(`${date}T00:00:00Z`) + k * DAY_MS).toISOString().slice(0, 10);

  const learners: LearnerRow[] = members.map((m) => {
    const userId = m.user.id;
    const s = settingsOf.get(userId) ?? { tz: 'UTC', startHour: 4, desired: 0.9 };
    const days = reviewDays.get(userId) ?? new Map<string, { reviews: number; mature: number; recalled: number }>();
    const t = today(userId);
    const since30 = addDays(t, -(ROSTER_DAYS - 1));
    const w = FLAG_RULES.retentionWindowDays;
    const recentFrom = addDays(t, -(w - 1));
    const priorFrom = addDays(t, -(2 * w - 1));
    let reviews = 0;
    const retention = { reviews: 0, recalled: 0 };
    const recent = { reviews: 0, recalled: 0 };
    const prior = { reviews: 0, recalled: 0 };
    for (const [date, d] of days) {
      if (date > t) continue;
      if (date >= since30) {
        reviews += d.reviews;
        retention.reviews += d.mature;
        retention.recalled += d.recalled;
      }
      if (date >= recentFrom) {
        recent.reviews += d.mature;
        recent.recalled += d.recalled;
      } else if (date >= priorFrom) {
        prior.reviews += d.mature;
        prior.recalled += d.recalled;
      }
    }
    const streak = streakOf(new Set([...days.keys()]), t);
    const f = facts.get(userId);
    const lastActivity = [f?.lastReview, f?.lastRead, f?.lastStep, f?.lastCheck, f?.lastLab]
      .map(dateOrNull)
      .reduce<Date | null>((a, b) => (b && (!a || b > a) ? b : a), null);
    const labs: LearnerLab[] = labList.map((l) => {
      const list = checksOf.get(`${userId}\u0000${l.labId}`) ?? [];
      const passedAt = list
        .filter((c) => c.total > 0 && c.passed === c.total)
        .reduce<Date | null>((a, c) => (!a || c.at < a ? c.at : a), null);
      const sessions = sessionsOf.get(`${userId}\u0000${l.labId}`) ?? 0;
      const perSession = new Map<string, number>();
      for (const c of list) perSession.set(c.sessionId, Math.max(perSession.get(c.sessionId) ?? 0, c.timeMs));
      const due = items.find((i) => i.kind === 'lab' && i.itemId === l.labId)?.dueAt;
      return {
        labId: l.labId,
        status: passedAt ? 'passed' : list.length > 0 || sessions > 0 ? 'in-progress' : 'not-started',
        attempts: list.length,
        timeMs: [...perSession.values()].reduce((a, b) => a + b, 0),
        best: list.length === 0 ? null : Math.max(...list.map((c) => (c.total === 0 ? 0 : c.passed / c.total))),
        late: due ? (passedAt ? passedAt > due : now > due) : false,
      };
    });
    const taskFailures = labList.flatMap((l) =>
      [...failuresSinceLastPass(checksOf.get(`${userId}\u0000${l.labId}`) ?? [])].map(([taskId, failures]) => ({
        labTitle: l.title,
        taskId,
        failures,
      })),
    );
    const q = quizByLearner.get(userId);
    const overdueCards = n(f?.overdue);
    return {
      userId,
      name: m.user.name,
      email: m.user.email,
      joinedAt: m.joinedAt.toISOString(),
      lastActivity: lastActivity?.toISOString() ?? null,
      streak,
      streakAtLeast: streak >= REVIEW_WINDOW_DAYS,
      reviews,
      reviewsPerDay: Math.round((reviews / ROSTER_DAYS) * 10) / 10,
      retention,
      desiredRetention: s.desired,
      overdueCards,
      lessonsRead: n(f?.lessonsRead),
      quizWalks: q?.walks ?? 0,
      quizFirstTry: q ? q.share / q.walks : null,
      labs,
      grade: gradeLearner(items, triesOf(userId), lateRule),
      flags: struggleFlags(
        { overdueCards, recent, prior, desiredRetention: s.desired, lastActivity, enrolledAt: m.joinedAt, taskFailures },
        now,
      ),
    };
  });

  // ── The class view ──
  const partOfCard = new Map(cardParts.map((c) => [c.id, c.partId]));
  const cells = new Map<string, { reviews: number; recalled: number }>();
  for (const r of cardWeeks) {
    const key = `${partOfCard.get(r.cardId) ?? ''}\u0000${n(r.week)}`;
    const e = cells.get(key) ?? { reviews: 0, recalled: 0 };
    e.reviews += n(r.reviews);
    e.recalled += n(r.recalled);
    cells.set(key, e);
  }
  const retentionByPart = course.parts.map((p) => ({
    partId: p.id,
    title: p.title,
    weeks: weekStarts.map((start, i) => ({
      start: start.toISOString().slice(0, 10),
      ...(cells.get(`${p.id}\u0000${i}`) ?? { reviews: 0, recalled: 0 }),
    })),
  }));
  const quizById = new Map(course.quizzes.map((q) => [q.id, q]));
  const missedNodes = [...missedBy]
    .map(([key, v]) => {
      const [quizId = '', nodeId = ''] = key.split('\u0000');
      const quiz = quizById.get(quizId);
      const node = quiz?.nodes.find((x) => x.id === nodeId);
      const prompt = (node?.prompt ?? nodeId)
        .replace(/[`*_#>]/g, '')
        .replace(/\s+/g, ' ')
        .trim();
      return {
        quizId,
        quizTitle: quiz?.title ?? quizId,
        nodeId,
        prompt: prompt.length > 120 ? `${prompt.slice(0, 117)}…` : prompt,
        learners: v.learners.size,
        misses: v.misses,
      };
    })
    .sort((a, b) => b.learners - a.learners || b.misses - a.misses)
    .slice(0, 10);
  const classLabs = labList.map((l) => {
    const rows = learners.map((x) => x.labs.find((y) => y.labId === l.labId));
    const tasks = new Map<string, { failedChecks: number; learners: Set<string> }>();
    for (const c of checks.values()) {
      if (c.labId !== l.labId) continue;
      for (const tk of c.tasks) {
        if (tk.passed) continue;
        const e = tasks.get(tk.taskId) ?? { failedChecks: 0, learners: new Set() };
        e.failedChecks += 1;
        e.learners.add(c.userId);
        tasks.set(tk.taskId, e);
      }
    }
    return {
      labId: l.labId,
      title: labTitle.get(l.labId) ?? l.labId,
      started: rows.filter((r) => r && r.status !== 'not-started').length,
      passed: rows.filter((r) => r?.status === 'passed').length,
      tasks: [...tasks]
        .map(([taskId, v]) => ({
          taskId,
          title: taskTitle.get(`${l.labId}\u0000${taskId}`) ?? taskId,
          failedChecks: v.failedChecks,
          learnersFailing: v.learners.size,
        }))
        .sort((a, b) => b.failedChecks - a.failedChecks),
    };
  });
  const utcToday = now.toISOString().slice(0, 10);
  const reviewsPerDay = Array.from({ length: ROSTER_DAYS }, (_, i) => {
    const date = addDays(utcToday, i - (ROSTER_DAYS - 1));
    return { date, reviews: classDays.get(date) ?? 0 };
  });

  return {
    cohort: {
      id: cohort.id,
      name: cohort.name,
      startsAt: cohort.startsAt.toISOString(),
      endsAt: cohort.endsAt.toISOString(),
      lateRule,
      items: items.map((i) => ({ kind: i.kind, itemId: i.itemId, title: i.title, points: i.points, dueAt: i.dueAt.toISOString() })),
    },
    asOf: now.toISOString(),
    gradeRule: describeGradeRule(items, lateRule),
    lessonsTotal: course.lessons.length,
    labs: labList,
    learners,
    classView: { retentionByPart, missedNodes, labs: classLabs, reviewsPerDay },
  };
}

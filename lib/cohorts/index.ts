import type { Viewer } from '@/lib/auth';
import { labCatalog } from '@/lib/content';
import { getCourse } from '@/lib/course';
import { getDb } from '@/lib/db';
import { AppError } from '@/lib/errors';
import { parseTaskResults } from '@/lib/grader';
import type { LabAttemptView } from '@/lib/labs';
import { scoreWalk } from '@/lib/quiz';
import { getReviewStats, type ReviewStats } from '@/lib/srs';
import { findManagedCohort, itemSpecs } from './cohorts';
import { cohortDashboard } from './dashboard';
import { type ExportShape, gradesCsv } from './export';
import { type GradedItemSpec, gradeLearner, type ItemTry, type LearnerGrade } from './rules';

/**
 * lib/cohorts — cohorts, enrolment, the dashboard (progress aggregated over the learners' real
 * records), the grade rule and the grade export. Pure rules in ./rules.ts, CSV shapes in
 * ./export.ts, the aggregation in ./dashboard.ts.
 */
export * from './cohorts';
export {
  type ClassView,
  type CohortDashboard,
  cohortDashboard,
  type LabStatus,
  type LearnerLab,
  type LearnerRow,
  REVIEW_WINDOW_DAYS,
  ROSTER_DAYS,
} from './dashboard';
export { EXPORT_SHAPES, type ExportShape, gradesCsv, itemColumn } from './export';
export * from './rules';

export interface LearnerDrillDown {
  cohort: { id: string; name: string };
  learner: { userId: string; name: string; email: string; joinedAt: string };
  grade: LearnerGrade;
  items: { kind: 'lab' | 'quiz'; itemId: string; title: string; points: number; dueAt: string }[];
  review: ReviewStats;
  lessons: { lessonId: string; title: string; readAt: string }[];
  quizzes: {
    attemptId: string;
    quizId: string;
    title: string;
    startedAt: string;
    finishedAt: string | null;
    nodesPassed: number;
    firstTry: number;
    missed: string[];
  }[];
  /** Every lab Check, as the learner's own lab page shows it, with the lab and the VM's arch. */
  labs: (Omit<LabAttemptView, 'id'> & { attemptId: string; labId: string; title: string; arch: string })[];
}

/**
 * One learner of a cohort in full: their grade, review statistics, lessons, every quiz walk and
 * every lab Check with the evidence the grader read. 404 unless `viewer` manages the cohort and
 * the learner is in it (a learner outside the cohort is not the instructor's to see).
 */
export async function learnerDrillDown(viewer: Viewer, cohortId: string, userId: string, now: Date): Promise<LearnerDrillDown> {
  const cohort = await findManagedCohort(viewer, cohortId);
  const db = getDb();
  const member = await db.enrollment.findUnique({
    where: { cohortId_userId: { cohortId, userId } },
    select: { joinedAt: true, user: { select: { name: true, email: true } } },
  });
  if (!member) throw new AppError('not_found', 'This learner is not in the cohort.');
  const course = getCourse();
  const [review, lessons, quizAttempts, labAttempts] = await Promise.all([
    getReviewStats(userId, now),
    db.lessonProgress.findMany({ where: { userId }, orderBy: { readAt: 'desc' }, select: { lessonId: true, readAt: true } }),
    db.quizAttempt.findMany({
      where: { userId },
      orderBy: { startedAt: 'desc' },
      include: { steps: { orderBy: { answeredAt: 'asc' }, select: { nodeId: true, choiceIndex: true, correct: true } } },
    }),
    db.labAttempt.findMany({ where: { userId }, orderBy: { checkedAt: 'desc' } }),
  ]);
  const lessonTitle = new Map(course.lessons.map((l) => [l.id, l.title]));
  const labTitle = new Map(labCatalog().map((l) => [l.id, l.title]));
  const quizzes = quizAttempts.flatMap((a) => {
    const quiz = course.quizzes.find((q) => q.id === a.quizId);
    if (!quiz) return [];
    const s = scoreWalk(quiz, a.steps);
    return [
      {
        attemptId: a.id,
        quizId: a.quizId,
        title: quiz.title,
        startedAt: a.startedAt.toISOString(),
        finishedAt: a.finishedAt?.toISOString() ?? null,
        nodesPassed: s.nodesPassed,
        firstTry: s.firstTry,
        missed: s.missedNodeIds,
      },
    ];
  });
  const items = itemSpecs(cohort.items);
  const triesOf = (item: GradedItemSpec): ItemTry[] =>
    item.kind === 'lab'
      ? labAttempts
          .filter((a) => a.labId === item.itemId)
          .map((a) => ({ at: a.checkedAt, fraction: a.total === 0 ? 0 : a.passed / a.total }))
      : quizzes
          .filter((q) => q.quizId === item.itemId && q.finishedAt !== null && q.nodesPassed > 0)
          .map((q) => ({ at: new Date(q.finishedAt ?? 0), fraction: q.firstTry / q.nodesPassed }));
  return {
    cohort: { id: cohort.id, name: cohort.name },
    learner: { userId, name: member.user.name, email: member.user.email, joinedAt: member.joinedAt.toISOString() },
    grade: gradeLearner(items, triesOf, { perDay: cohort.latePenaltyPerDay, max: cohort.latePenaltyMax }),
    items: items.map((i) => ({ kind: i.kind, itemId: i.itemId, title: i.title, points: i.points, dueAt: i.dueAt.toISOString() })),
    review,
    lessons: lessons.map((l) => ({
      lessonId: l.lessonId,
      title: lessonTitle.get(l.lessonId) ?? l.lessonId,
      readAt: l.readAt.toISOString(),
    })),
    quizzes,
    labs: labAttempts.map((a) => ({
      attemptId: a.id,
      labId: a.labId,
      title: labTitle.get(a.labId) ?? a.labId,
      arch: a.arch,
      checkedAt: a.checkedAt.toISOString(),
      passed: a.passed,
      total: a.total,
      hintsUsed: a.hintsUsed,
      timeSpentMs: a.timeSpentMs,
      results: parseTaskResults(a.results),
    })),
  };
}

/** The cohort's grades as a CSV file (see ./export.ts for the shapes), with a file name. */
export async function exportGrades(
  viewer: Viewer,
  cohortId: string,
  shape: ExportShape,
  now: Date,
): Promise<{ filename: string; csv: string }> {
  const d = await cohortDashboard(viewer, cohortId, now);
  const items: GradedItemSpec[] = d.cohort.items.map((i) => ({ ...i, dueAt: new Date(i.dueAt) }));
  const csv = gradesCsv(
    shape,
    d.cohort.name,
    items,
    d.learners.map((l) => ({ name: l.name, email: l.email, grade: l.grade })),
  );
  const slug =
    d.cohort.name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '') || 'cohort';
  return { filename: `${slug}-grades-${shape}-${now.toISOString().slice(0, 10)}.csv`, csv };
}

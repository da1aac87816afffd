import { getDb } from '@/lib/db';

/** Per-learner facts for the instructor area. Callers check `canViewInstructorArea` first. */
export interface LearnerSummary {
  id: string;
  name: string;
  email: string;
  joinedAt: Date;
  lessonsRead: number;
  cardsInQueue: number;
  reviews: number;
  quizWalks: number;
  labSessions: number;
}

export async function listLearners(): Promise<LearnerSummary[]> {
  const rows = await getDb().user.findMany({
    where: { role: 'student' },
    orderBy: { createdAt: 'asc' },
    select: {
      id: true,
      name: true,
      email: true,
      createdAt: true,
      _count: { select: { lessonProgress: true, cardStates: true, reviewLogs: true, quizAttempts: true, labSessions: true } },
    },
  });
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    email: r.email,
    joinedAt: r.createdAt,
    lessonsRead: r._count.lessonProgress,
    cardsInQueue: r._count.cardStates,
    reviews: r._count.reviewLogs,
    quizWalks: r._count.quizAttempts,
    labSessions: r._count.labSessions,
  }));
}

/** What the Today page shows: only counts that exist in the database. */
export interface LearnerToday {
  cardsInQueue: number;
  cardsDue: number;
  lessonsRead: number;
  lessonsTotal: number;
  reviewsToday: number;
  quizzesFinished: number;
  /** Nothing done yet (no lesson read, no review, no quiz, no lab): greet as new. */
  isNew: boolean;
  /** The learner's lab session that is still running, if any (to continue it). */
  runningLab: { labId: string; arch: string } | null;
}

export async function getLearnerToday(userId: string, now: Date, startOfDay: Date): Promise<LearnerToday> {
  const db = getDb();
  const [cardsInQueue, cardsDue, lessonsRead, lessonsTotal, reviewsToday, finished, anyReview, anyQuiz, anyLab, runningLab] =
    await Promise.all([
      db.cardState.count({ where: { userId, card: { retiredAt: null } } }),
      db.cardState.count({ where: { userId, due: { lte: now }, card: { retiredAt: null } } }),
      db.lessonProgress.count({ where: { userId } }),
      db.lesson.count({ where: { retiredAt: null } }),
      db.reviewLog.count({ where: { userId, reviewedAt: { gte: startOfDay } } }),
      db.quizAttempt.findMany({ where: { userId, finishedAt: { not: null } }, distinct: ['quizId'], select: { quizId: true } }),
      db.reviewLog.findFirst({ where: { userId }, select: { id: true } }),
      db.quizAttempt.findFirst({ where: { userId }, select: { id: true } }),
      db.labSession.findFirst({ where: { userId }, select: { id: true } }),
      db.labSession.findFirst({
        where: { userId, status: { not: 'ended' }, expiresAt: { gt: now } },
        orderBy: { startedAt: 'desc' },
        select: { labId: true, arch: true },
      }),
    ]);
  return {
    cardsInQueue,
    cardsDue,
    lessonsRead,
    lessonsTotal,
    reviewsToday,
    quizzesFinished: finished.length,
    isNew: lessonsRead === 0 && !anyReview && !anyQuiz && !anyLab,
    runningLab,
  };
}

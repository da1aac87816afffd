import { createEmptyCard } from 'ts-fsrs';
import { type DbClient, getDb } from '@/lib/db';

/**
 * Spaced repetition: the only module that imports ts-fsrs. FSRS's snake_case stays in here; the
 * rest of the app sees camelCase rows (CardState).
 */

/**
 * Puts cards into a learner's review queue as new FSRS cards due `now`. Cards already in the
 * queue keep their state and history (idempotent), retired cards are never introduced.
 * Returns how many cards joined the queue.
 */
export async function introduceCards(userId: string, cardIds: readonly string[], now: Date, db: DbClient = getDb()): Promise<number> {
  if (cardIds.length === 0) return 0;
  const [existing, active] = await Promise.all([
    db.cardState.findMany({ where: { userId, cardId: { in: [...cardIds] } }, select: { cardId: true } }),
    db.card.findMany({ where: { id: { in: [...cardIds] }, retiredAt: null }, select: { id: true } }),
  ]);
  const have = new Set(existing.map((e) => e.cardId));
  const fresh = active.map((c) => c.id).filter((id) => !have.has(id));
  if (fresh.length === 0) return 0;
  const empty = createEmptyCard(now);
  await db.cardState.createMany({
    data: fresh.map((cardId) => ({
      userId,
      cardId,
      introducedAt: now,
      due: empty.due,
      stability: empty.stability,
      difficulty: empty.difficulty,
      elapsedDays: empty.elapsed_days,
      scheduledDays: empty.scheduled_days,
      learningSteps: empty.learning_steps,
      reps: empty.reps,
      lapses: empty.lapses,
      state: empty.state,
      lastReview: null,
    })),
  });
  return fresh.length;
}

export interface QueueSummary {
  inQueue: number;
  dueNow: number;
  newCards: number;
  /** Cards in the queue per lesson id. */
  byLesson: Record<string, number>;
}

/** The learner's queue as it stands at `now` (retired cards excluded). */
export async function queueSummary(userId: string, now: Date): Promise<QueueSummary> {
  const rows = await getDb().cardState.findMany({
    where: { userId, card: { retiredAt: null } },
    select: { due: true, state: true, card: { select: { lessonId: true } } },
  });
  const byLesson: Record<string, number> = {};
  let dueNow = 0;
  let newCards = 0;
  for (const r of rows) {
    byLesson[r.card.lessonId] = (byLesson[r.card.lessonId] ?? 0) + 1;
    if (r.due <= now) dueNow += 1;
    if (r.state === 0) newCards += 1;
  }
  return { inQueue: rows.length, dueNow, newCards, byLesson };
}

/**
 * Brings cards back for review now — after a missed quiz node. Cards not yet in the queue join it
 * (due now); cards scheduled for later become due now (FSRS then sees an early review, which it
 * handles). Returns how many cards were introduced or moved. Pass `db` (a transaction) to make the
 * boost part of a larger write.
 */
export async function boostCards(userId: string, cardIds: readonly string[], now: Date, db: DbClient = getDb()): Promise<number> {
  if (cardIds.length === 0) return 0;
  const introduced = await introduceCards(userId, cardIds, now, db);
  const moved = await db.cardState.updateMany({
    where: { userId, cardId: { in: [...cardIds] }, due: { gt: now }, card: { retiredAt: null } },
    data: { due: now },
  });
  return introduced + moved.count;
}

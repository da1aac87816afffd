import { randomUUID } from 'node:crypto';
import { createEmptyCard } from 'ts-fsrs';
import { z } from 'zod';
import { type CardStateModel as CardState, type Db, type DbClient, getDb, Prisma } from '@/lib/db';
import { AppError } from '@/lib/errors';
import {
  becomesLeech,
  buildDailyQueue,
  type CardMemory,
  type CardMemoryJson,
  CardStateCode,
  isValidTimeZone,
  memoryToJson,
  type QueueCandidate,
  type ReviewDay,
  type ReviewRating,
  rateMemory,
  reviewDayAt,
  type SchedulerSettings,
} from './schedule';

/**
 * Spaced repetition: the only module that imports ts-fsrs (through ./schedule, the pure core the
 * browser shares). This file is the database side: settings, the daily queue, the review service
 * (card state + review log in one transaction, idempotent by a client-made id), undo, suspend.
 */

export * from './schedule';

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

// ── Settings ────────────────────────────────────────────────────────────────────────────────

export const LEECH_ACTIONS = ['tag', 'suspend'] as const;

/** What a learner may change about their reviews. Every field optional: send only what changed. */
export const reviewSettingsInput = z
  .strictObject({
    desiredRetention: z.number().min(0.7, 'must be at least 0.70').max(0.99, 'must be at most 0.99'),
    newCardsPerDay: z.number().int().min(0).max(9999),
    reviewsPerDay: z.number().int().min(0).max(99999),
    maximumInterval: z.number().int().min(1).max(36500),
    dayStartHour: z.number().int().min(0).max(23),
    timezone: z.string().refine(isValidTimeZone, 'must be an IANA time zone such as Europe/Paris'),
    leechThreshold: z.number().int().min(2).max(99),
    leechAction: z.enum(LEECH_ACTIONS),
  })
  .partial();
export type ReviewSettingsInput = z.infer<typeof reviewSettingsInput>;

export interface ReviewSettings {
  desiredRetention: number;
  newCardsPerDay: number;
  reviewsPerDay: number;
  maximumInterval: number;
  dayStartHour: number;
  timezone: string;
  leechThreshold: number;
  leechAction: (typeof LEECH_ACTIONS)[number];
  /** Optimised FSRS weights, or null for the defaults. */
  fsrsParameters: number[] | null;
}

type Tx = Prisma.TransactionClient | Db;

const weightsSchema = z.array(z.number()).min(17).max(21);

async function readSettings(db: Tx, userId: string): Promise<ReviewSettings> {
  return settingsFrom(await db.userSettings.findUnique({ where: { userId } }));
}

function settingsFrom(row: Awaited<ReturnType<Db['userSettings']['findUnique']>>): ReviewSettings {
  let weights: number[] | null = null;
  if (row?.fsrsParameters) {
    const parsed = weightsSchema.safeParse(JSON.parse(row.fsrsParameters));
    weights = parsed.success ? parsed.data : null;
  }
  return {
    desiredRetention: row?.desiredRetention ?? 0.9,
    newCardsPerDay: row?.newCardsPerDay ?? 20,
    reviewsPerDay: row?.reviewsPerDay ?? 200,
    maximumInterval: row?.maximumInterval ?? 36500,
    dayStartHour: row?.dayStartHour ?? 4,
    timezone: row && isValidTimeZone(row.timezone) ? row.timezone : 'UTC',
    leechThreshold: row?.leechThreshold ?? 8,
    leechAction: row?.leechAction === 'suspend' ? 'suspend' : 'tag',
    fsrsParameters: weights,
  };
}

/** The learner's review settings, with defaults for anything never set. */
export function getReviewSettings(userId: string): Promise<ReviewSettings> {
  return readSettings(getDb(), userId);
}

/** Changes review settings; scheduling of future ratings follows at once (past ones keep theirs). */
export async function updateReviewSettings(userId: string, input: ReviewSettingsInput): Promise<ReviewSettings> {
  await getDb().userSettings.upsert({ where: { userId }, create: { userId, ...input }, update: input });
  return getReviewSettings(userId);
}

/** The scheduler's view of the settings. */
export function schedulerSettings(s: ReviewSettings): SchedulerSettings {
  return { desiredRetention: s.desiredRetention, maximumInterval: s.maximumInterval, weights: s.fsrsParameters };
}

/** The learner's current review day (their time zone, their day boundary) — also what Today counts. */
export async function learnerDay(userId: string, now: Date): Promise<ReviewDay> {
  const s = await getReviewSettings(userId);
  return reviewDayAt(now, s.timezone, s.dayStartHour);
}

// ── The daily queue ─────────────────────────────────────────────────────────────────────────

function memoryOf(row: CardState): CardMemory {
  return {
    due: row.due,
    stability: row.stability,
    difficulty: row.difficulty,
    elapsedDays: row.elapsedDays,
    scheduledDays: row.scheduledDays,
    learningSteps: row.learningSteps,
    reps: row.reps,
    lapses: row.lapses,
    state: row.state,
    lastReview: row.lastReview,
  };
}

export type QueueKind = 'learning' | 'review' | 'new';

export interface QueueEntry {
  cardId: string;
  kind: QueueKind;
  sectionId: string;
  lessonId: string;
  anchor: string;
  leech: boolean;
  memory: CardMemoryJson;
}

export interface LoadedQueue {
  day: { date: string; start: string; end: string };
  settings: ReviewSettings;
  entries: QueueEntry[];
  counts: { learning: number; review: number; new: number };
  /** Cards in the learner's queue at all (any state, suspended included). */
  inQueue: number;
  /** Cards due by now (before daily limits and burying), suspended ones excluded. */
  dueNow: number;
  buried: number;
  doneToday: number;
  /** When the next card outside today's queue is due (end screen), or null. */
  nextDue: string | null;
}

/**
 * Today's queue for a learner, learning first, then reviews, then new cards (see
 * `buildDailyQueue` for the limits and burying rules). `limit` trims the entries (the counts stay
 * whole) so "rate, then give me the next ones" stays cheap.
 */
export async function loadDailyQueue(userId: string, now: Date, limit = Number.POSITIVE_INFINITY): Promise<LoadedQueue> {
  const db = getDb();
  const settings = await getReviewSettings(userId);
  const day = reviewDayAt(now, settings.timezone, settings.dayStartHour);
  const [rows, logs] = await Promise.all([
    db.cardState.findMany({
      where: { userId, card: { retiredAt: null } },
      include: { card: { select: { sectionId: true, lessonId: true, anchor: true } } },
    }),
    db.reviewLog.findMany({
      where: { userId, reviewedAt: { gte: day.start } },
      select: { state: true, card: { select: { sectionId: true } } },
    }),
  ]);
  const byId = new Map(rows.map((r) => [r.cardId, r]));
  const candidates: QueueCandidate[] = rows.map((r) => ({
    cardId: r.cardId,
    sectionId: r.card.sectionId,
    introducedAt: r.introducedAt,
    memory: memoryOf(r),
    suspended: r.suspendedAt !== null,
  }));
  const q = buildDailyQueue(candidates, {
    now,
    day,
    newCardsPerDay: settings.newCardsPerDay,
    reviewsPerDay: settings.reviewsPerDay,
    newDoneToday: logs.filter((l) => l.state === CardStateCode.new).length,
    reviewsDoneToday: logs.filter((l) => l.state === CardStateCode.review).length,
    sectionsSeenToday: new Set(logs.map((l) => l.card.sectionId)),
  });
  const inQueue = new Set<string>();
  const entries: QueueEntry[] = [];
  const push = (list: QueueCandidate[], kind: QueueKind) => {
    for (const c of list) {
      inQueue.add(c.cardId);
      if (entries.length >= limit) continue;
      const r = byId.get(c.cardId);
      if (!r) continue;
      entries.push({
        cardId: c.cardId,
        kind,
        sectionId: r.card.sectionId,
        lessonId: r.card.lessonId,
        anchor: r.card.anchor,
        leech: r.leech,
        memory: memoryToJson(c.memory),
      });
    }
  };
  push(q.learning, 'learning');
  push(q.review, 'review');
  push(q.fresh, 'new');
  let nextDue: Date | null = null;
  for (const r of rows) {
    if (r.suspendedAt !== null || inQueue.has(r.cardId)) continue;
    if (r.due.getTime() >= day.end.getTime() && (nextDue === null || r.due < nextDue)) nextDue = r.due;
  }
  return {
    day: { date: day.date, start: day.start.toISOString(), end: day.end.toISOString() },
    settings,
    entries,
    counts: { learning: q.learning.length, review: q.review.length, new: q.fresh.length },
    inQueue: rows.length,
    dueNow: rows.filter((r) => r.suspendedAt === null && r.due.getTime() <= now.getTime()).length,
    buried: q.buried,
    doneToday: logs.length,
    nextDue: nextDue?.toISOString() ?? null,
  };
}

/**
 * The next learning/review cards due before the learner's day ends, soonest first — a cheap
 * indexed read for "rate, then give me the next ones". New cards are left out on purpose: the
 * daily new-card limit decides those, and the page got today's share with the full queue.
 * Pass the learner's settings when already read (`recordReviewAndUpcoming` does) to save a query.
 */
export async function upcomingEntries(userId: string, now: Date, limit: number, known?: ReviewSettings): Promise<QueueEntry[]> {
  const db = getDb();
  const settings = known ?? (await readSettings(db, userId));
  const day = reviewDayAt(now, settings.timezone, settings.dayStartHour);
  const rows = await db.cardState.findMany({
    where: { userId, suspendedAt: null, state: { not: CardStateCode.new }, due: { lt: day.end }, card: { retiredAt: null } },
    include: { card: { select: { sectionId: true, lessonId: true, anchor: true } } },
    orderBy: [{ due: 'asc' }, { cardId: 'asc' }],
    take: limit,
  });
  return rows.map((r) => ({
    cardId: r.cardId,
    kind: r.state === CardStateCode.review ? ('review' as const) : ('learning' as const),
    sectionId: r.card.sectionId,
    lessonId: r.card.lessonId,
    anchor: r.card.anchor,
    leech: r.leech,
    memory: memoryToJson(memoryOf(r)),
  }));
}

// ── Reviews ─────────────────────────────────────────────────────────────────────────────────

/** How far ahead of the server's clock a client's review time may be (clock skew). */
const MAX_CLOCK_SKEW_MS = 5 * 60_000;

/** One rating as the client sends it; the id is made by the client so a retry is applied once. */
export const reviewInput = z.strictObject({
  clientReviewId: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'must be 8–64 letters, digits, "-" or "_"'),
  cardId: z.string().regex(/^[a-z0-9-]{1,48}$/, 'must be a card id'),
  rating: z.union([z.literal(1), z.literal(2), z.literal(3), z.literal(4)], { error: 'must be 1 (Again), 2 (Hard), 3 (Good) or 4 (Easy)' }),
  reviewedAt: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time' }).transform((s) => new Date(s)),
  durationMs: z.number().int().min(0).max(86_400_000).optional(),
});
export type ReviewInput = z.output<typeof reviewInput>;

export interface ReviewResult {
  clientReviewId: string;
  cardId: string;
  /** false when this id was already applied (a retry): nothing changed. */
  applied: boolean;
  memory: CardMemoryJson;
  leech: boolean;
  suspended: boolean;
}

/** The CardState row as undo must restore it, in a stable JSON form. */
function snapshotOf(row: CardState): string {
  return JSON.stringify({
    introducedAt: row.introducedAt.toISOString(),
    due: row.due.toISOString(),
    stability: row.stability,
    difficulty: row.difficulty,
    elapsedDays: row.elapsedDays,
    scheduledDays: row.scheduledDays,
    learningSteps: row.learningSteps,
    reps: row.reps,
    lapses: row.lapses,
    state: row.state,
    lastReview: row.lastReview?.toISOString() ?? null,
    suspendedAt: row.suspendedAt?.toISOString() ?? null,
    leech: row.leech,
  });
}

const snapshotSchema = z.object({
  introducedAt: z.string(),
  due: z.string(),
  stability: z.number(),
  difficulty: z.number(),
  elapsedDays: z.number(),
  scheduledDays: z.number(),
  learningSteps: z.number(),
  reps: z.number(),
  lapses: z.number(),
  state: z.number(),
  lastReview: z.string().nullable(),
  suspendedAt: z.string().nullable(),
  leech: z.boolean(),
});

function resultOf(row: CardState, clientReviewId: string, applied: boolean): ReviewResult {
  return {
    clientReviewId,
    cardId: row.cardId,
    applied,
    memory: memoryToJson(memoryOf(row)),
    leech: row.leech,
    suspended: row.suspendedAt !== null,
  };
}

function isUniqueViolation(err: unknown): boolean {
  return err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002';
}

/**
 * Applies one rating: the card's new FSRS state and its review-log row are written in one
 * transaction. Idempotent by `clientReviewId` (a retry returns the stored outcome with
 * `applied: false`). Errors: the card is not in this learner's queue → not_found (404); the card
 * was already reviewed after `reviewedAt` (an offline rating that lost the race) → conflict (409)
 * with the current state in `details`; the rating was undone → conflict (409); a review time in
 * the future → invalid_input naming it.
 *
 * Ratings that arrive while a write is under way are applied together in the next transaction
 * (up to BATCH_MAX, any learners): one read of the cards, settings, earlier ids and undone ids
 * for all of them, one write per card and one insert of all log rows. Each rating still gets its
 * own answer, and a rating that is refused does not hold back the others in its batch.
 */
export async function recordReview(userId: string, input: ReviewInput, now: Date): Promise<ReviewResult> {
  return (await submitRating(userId, input, now)).result;
}

/**
 * `recordReview`, then `upcomingEntries` for the same learner — with the settings the rating's
 * batch already read, so the answer costs one query more than the rating, not two.
 */
export async function recordReviewAndUpcoming(
  userId: string,
  input: ReviewInput,
  now: Date,
  limit: number,
): Promise<{ review: ReviewResult; upcoming: QueueEntry[] }> {
  const { result, settings } = await submitRating(userId, input, now);
  return { review: result, upcoming: await upcomingEntries(userId, now, limit, settings) };
}

/** A rating's outcome, with the settings its batch read (absent on the one-by-one fallback). */
interface Rated {
  result: ReviewResult;
  settings?: ReviewSettings;
}

function submitRating(userId: string, input: ReviewInput, now: Date): Promise<Rated> {
  if (input.reviewedAt.getTime() > now.getTime() + MAX_CLOCK_SKEW_MS) {
    throw new AppError('invalid_input', 'The review time is in the future.', {
      fields: [{ path: 'reviewedAt', message: 'is in the future' }],
    });
  }
  // A review a little ahead of our clock (skew) counts as now: FSRS never sees time run backwards.
  const at = input.reviewedAt.getTime() > now.getTime() ? now : input.reviewedAt;
  return new Promise<Rated>((resolve, reject) => {
    pendingRatings.push({ userId, input, at, resolve, reject });
    if (!draining) {
      draining = true;
      setImmediate(() => void drainRatings());
    }
  });
}

interface PendingRating {
  userId: string;
  input: ReviewInput;
  at: Date;
  resolve: (r: Rated) => void;
  reject: (e: unknown) => void;
}

/** How many ratings one transaction applies at most. */
const BATCH_MAX = 64;
const pendingRatings: PendingRating[] = [];
let draining = false;

async function drainRatings(): Promise<void> {
  try {
    while (pendingRatings.length > 0) await applyRatings(pendingRatings.splice(0, BATCH_MAX));
  } finally {
    draining = false;
  }
}

const cardKey = (userId: string, cardId: string) => `${userId}\u0000${cardId}`;

/** Applies a batch; every rating in it is answered (resolved or rejected) exactly once. */
async function applyRatings(batch: PendingRating[]): Promise<void> {
  const db = getDb();
  let outcomes: (Rated | AppError)[];
  try {
    outcomes = await db.$transaction((tx) => decideAndWrite(tx, batch), { maxWait: 15_000, timeout: 15_000 });
  } catch (err) {
    if (batch.length > 1) {
      // Something failed for the batch as a whole (two copies of one rating racing on
      // PostgreSQL, say): apply the ratings one by one, so each gets its own answer.
      for (const one of batch) await applyRatings([one]);
      return;
    }
    const [one] = batch;
    if (!one) return;
    if (isUniqueViolation(err)) {
      // Two copies of one rating raced: the loser answers with the winner's outcome.
      try {
        const existing = await db.reviewLog.findUnique({
          where: { clientReviewId: one.input.clientReviewId },
          select: { userId: true, cardId: true },
        });
        if (existing) {
          one.resolve({ result: await duplicateOutcome(db, one.userId, one.input, existing) });
          return;
        }
      } catch (e) {
        one.reject(e);
        return;
      }
    }
    one.reject(err);
    return;
  }
  batch.forEach((item, i) => {
    const o = outcomes[i];
    if (o instanceof AppError) item.reject(o);
    else if (o) item.resolve(o);
    else item.reject(new Error('a rating in a batch got no outcome'));
  });
}

/**
 * Reads what a batch needs in four queries, decides each rating in order (a later rating of the
 * same card sees the earlier one's result), then writes the changed cards and all new log rows.
 * Refusals are returned as AppErrors, not thrown, so they roll nothing back.
 */
async function decideAndWrite(tx: Tx, batch: readonly PendingRating[]): Promise<(Rated | AppError)[]> {
  const ids = [...new Set(batch.map((b) => b.input.clientReviewId))];
  const users = [...new Set(batch.map((b) => b.userId))];
  const pairs = [...new Map(batch.map((b) => [cardKey(b.userId, b.input.cardId), { userId: b.userId, cardId: b.input.cardId }])).values()];
  const [logged, undone, rows, settingRows] = [
    await tx.reviewLog.findMany({ where: { clientReviewId: { in: ids } }, select: { clientReviewId: true, userId: true, cardId: true } }),
    await tx.undoneReview.findMany({ where: { clientReviewId: { in: ids } }, select: { clientReviewId: true } }),
    await tx.cardState.findMany({ where: { OR: pairs }, include: { card: { select: { retiredAt: true } } } }),
    await tx.userSettings.findMany({ where: { userId: { in: users } } }),
  ];
  const used = new Map(logged.map((l) => [l.clientReviewId, { userId: l.userId, cardId: l.cardId }]));
  const undoneIds = new Set(undone.map((u) => u.clientReviewId));
  const cards = new Map(rows.map((r) => [cardKey(r.userId, r.cardId), r]));
  const settingsOf = new Map(settingRows.map((r) => [r.userId, settingsFrom(r)]));
  const changed = new Map<string, CardState>();
  const logs: Prisma.ReviewLogCreateManyInput[] = [];

  const outcomes = batch.map((item): Rated | AppError => {
    const { userId, input, at } = item;
    const key = cardKey(userId, input.cardId);
    const earlier = used.get(input.clientReviewId);
    if (earlier) {
      if (earlier.userId !== userId || earlier.cardId !== input.cardId) {
        return new AppError('conflict', 'This review id was already used for another card.', {
          fields: [{ path: 'clientReviewId', message: 'already used' }],
        });
      }
      const row = cards.get(key);
      return row
        ? { result: resultOf(row, input.clientReviewId, false), settings: settingsOf.get(userId) ?? settingsFrom(null) }
        : new AppError('not_found', `Card "${input.cardId}" is not in your review queue.`);
    }
    if (undoneIds.has(input.clientReviewId)) {
      return new AppError('conflict', 'This rating was undone, so it is not applied again.', {
        details: { cardId: input.cardId, undone: true },
      });
    }
    const row = cards.get(key);
    if (!row || row.card.retiredAt !== null) return new AppError('not_found', `Card "${input.cardId}" is not in your review queue.`);
    if (row.lastReview !== null && at.getTime() < row.lastReview.getTime()) {
      return new AppError('conflict', 'This card was already reviewed later; the later review stands.', {
        details: { cardId: row.cardId, memory: memoryToJson(memoryOf(row)), lastReview: row.lastReview.toISOString() },
      });
    }
    const settings = settingsOf.get(userId) ?? settingsFrom(null);
    const before = memoryOf(row);
    const { memory, log } = rateMemory(before, row.cardId, input.rating as ReviewRating, at, schedulerSettings(settings));
    const newLeech = becomesLeech(before, memory, settings.leechThreshold);
    const updated = {
      ...row,
      ...memory,
      leech: row.leech || newLeech,
      suspendedAt: newLeech && settings.leechAction === 'suspend' ? at : row.suspendedAt,
    };
    cards.set(key, updated);
    changed.set(key, updated);
    used.set(input.clientReviewId, { userId, cardId: row.cardId });
    logs.push({
      id: randomUUID(),
      clientReviewId: input.clientReviewId,
      userId,
      cardId: row.cardId,
      rating: log.rating,
      state: log.state,
      due: log.due,
      stability: log.stability,
      difficulty: log.difficulty,
      elapsedDays: log.elapsedDays,
      scheduledDays: log.scheduledDays,
      reviewedAt: at,
      durationMs: input.durationMs ?? null,
      previousCard: snapshotOf(row),
    });
    return { result: resultOf(updated, input.clientReviewId, true), settings };
  });

  for (const c of changed.values()) {
    await tx.cardState.update({
      where: { userId_cardId: { userId: c.userId, cardId: c.cardId } },
      data: {
        introducedAt: c.introducedAt,
        due: c.due,
        stability: c.stability,
        difficulty: c.difficulty,
        elapsedDays: c.elapsedDays,
        scheduledDays: c.scheduledDays,
        learningSteps: c.learningSteps,
        reps: c.reps,
        lapses: c.lapses,
        state: c.state,
        lastReview: c.lastReview,
        suspendedAt: c.suspendedAt,
        leech: c.leech,
      },
    });
  }
  if (logs.length > 0) await tx.reviewLog.createMany({ data: logs });
  return outcomes;
}

async function duplicateOutcome(
  db: Tx,
  userId: string,
  input: ReviewInput,
  existing: { userId: string; cardId: string },
): Promise<ReviewResult> {
  if (existing.userId !== userId || existing.cardId !== input.cardId) {
    throw new AppError('conflict', 'This review id was already used for another card.', {
      fields: [{ path: 'clientReviewId', message: 'already used' }],
    });
  }
  const row = await db.cardState.findUniqueOrThrow({ where: { userId_cardId: { userId, cardId: input.cardId } } });
  return resultOf(row, input.clientReviewId, false);
}

/**
 * Takes back a rating: the card returns to exactly the row it had before (from the snapshot the
 * log kept), the log row is deleted and the id is remembered as undone, in one transaction, so
 * the same rating sent again later (a retry whose first answer was lost) is refused, not
 * re-applied. Only the card's latest review can be undone (409 otherwise); someone else's id →
 * 404. An id the server never applied → 404 as well, but it is remembered as undone all the
 * same: the client may have sent it without hearing back, and it must not land afterwards.
 */
export async function undoReview(userId: string, clientReviewId: string, now: Date): Promise<{ cardId: string; memory: CardMemoryJson }> {
  const db = getDb();
  const outcome = await db.$transaction(async (tx) => {
    const log = await tx.reviewLog.findUnique({ where: { clientReviewId } });
    if (!log) return 'missing' as const;
    if (log.userId !== userId) throw new AppError('not_found', 'There is no such review to undo.');
    const later = await tx.reviewLog.count({ where: { userId, cardId: log.cardId, reviewedAt: { gt: log.reviewedAt } } });
    if (later > 0) throw new AppError('conflict', 'This card was reviewed again since; undo the later review first.');
    const s = snapshotSchema.parse(JSON.parse(log.previousCard));
    const restored = await tx.cardState.update({
      where: { userId_cardId: { userId, cardId: log.cardId } },
      data: {
        introducedAt: new Date(s.introducedAt),
        due: new Date(s.due),
        stability: s.stability,
        difficulty: s.difficulty,
        elapsedDays: s.elapsedDays,
        scheduledDays: s.scheduledDays,
        learningSteps: s.learningSteps,
        reps: s.reps,
        lapses: s.lapses,
        state: s.state,
        lastReview: s.lastReview === null ? null : new Date(s.lastReview),
        suspendedAt: s.suspendedAt === null ? null : new Date(s.suspendedAt),
        leech: s.leech,
      },
    });
    await tx.reviewLog.delete({ where: { clientReviewId } });
    await tx.undoneReview.upsert({ where: { clientReviewId }, create: { clientReviewId, userId, undoneAt: now }, update: {} });
    return { cardId: log.cardId, memory: memoryToJson(memoryOf(restored)) };
  });
  if (outcome !== 'missing') return outcome;
  try {
    await db.undoneReview.create({ data: { clientReviewId, userId, undoneAt: now } });
  } catch (err) {
    if (!isUniqueViolation(err)) throw err; // already remembered (this learner's, or by chance someone else's)
  }
  throw new AppError('not_found', 'There is no such review to undo; if it arrives later, it will not be applied.');
}

/** Suspends a card (it leaves every queue, keeping its history) or brings it back. 404 if not the learner's. */
export async function setCardSuspended(
  userId: string,
  cardId: string,
  suspended: boolean,
  now: Date,
): Promise<{ cardId: string; suspended: boolean }> {
  const r = await getDb().cardState.updateMany({ where: { userId, cardId }, data: { suspendedAt: suspended ? now : null } });
  if (r.count === 0) throw new AppError('not_found', `Card "${cardId}" is not in your review queue.`);
  return { cardId, suspended };
}

/** The learner's suspended cards and leeches (for the Review page's "set aside" list). */
export async function listSetAsideCards(
  userId: string,
): Promise<{ cardId: string; lessonId: string; anchor: string; suspended: boolean; leech: boolean; lapses: number }[]> {
  const rows = await getDb().cardState.findMany({
    where: { userId, card: { retiredAt: null }, OR: [{ suspendedAt: { not: null } }, { leech: true }] },
    include: { card: { select: { lessonId: true, anchor: true } } },
    orderBy: { cardId: 'asc' },
  });
  return rows.map((r) => ({
    cardId: r.cardId,
    lessonId: r.card.lessonId,
    anchor: r.card.anchor,
    suspended: r.suspendedAt !== null,
    leech: r.leech,
    lapses: r.lapses,
  }));
}

// ── Stats ───────────────────────────────────────────────────────────────────────────────────

export interface DayCount {
  date: string;
  count: number;
}

export interface ReviewStats {
  today: string;
  timezone: string;
  /** Reviews per review day, the last 26 weeks (oldest first, every day present). */
  calendar: DayCount[];
  /** Cards due per day for the next 30 days; overdue cards count on day one. */
  forecast: DayCount[];
  /** True retention (share of reviews of mature-state cards not rated Again), last 30 days. */
  retention: {
    desired: number;
    overall: { reviews: number; recalled: number };
    byPart: { partId: string; reviews: number; recalled: number }[];
  };
  states: { new: number; learning: number; review: number; relearning: number; suspended: number; leeches: number };
  /** Reviews and minutes spent per day, the last 30 days. */
  daily: { date: string; reviews: number; minutes: number }[];
  /** Consecutive review days ending today (or yesterday, if today has none yet). */
  streak: number;
  totalReviews: number;
}

function addDays(date: string, n: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

/** Everything the Stats page draws, in the learner's days (zone + day boundary). */
export async function getReviewStats(userId: string, now: Date): Promise<ReviewStats> {
  const db = getDb();
  const settings = await getReviewSettings(userId);
  const day = reviewDayAt(now, settings.timezone, settings.dayStartHour);
  const dateOf = (d: Date) => reviewDayAt(d, settings.timezone, settings.dayStartHour).date;
  const since = new Date(day.start.getTime() - 190 * 86_400_000);
  const [logs, cards, totalReviews, allDates] = await Promise.all([
    db.reviewLog.findMany({
      where: { userId, reviewedAt: { gte: since } },
      select: { reviewedAt: true, rating: true, state: true, durationMs: true, card: { select: { partId: true } } },
    }),
    db.cardState.findMany({
      where: { userId, card: { retiredAt: null } },
      select: { state: true, due: true, suspendedAt: true, leech: true },
    }),
    db.reviewLog.count({ where: { userId } }),
    db.reviewLog.findMany({ where: { userId }, select: { reviewedAt: true }, orderBy: { reviewedAt: 'desc' }, take: 5000 }),
  ]);
  const perDay = new Map<string, { reviews: number; ms: number }>();
  const since30 = addDays(day.date, -29);
  let reviews = 0;
  let recalled = 0;
  const parts = new Map<string, { reviews: number; recalled: number }>();
  for (const l of logs) {
    const date = dateOf(l.reviewedAt);
    const e = perDay.get(date) ?? { reviews: 0, ms: 0 };
    e.reviews += 1;
    e.ms += l.durationMs ?? 0;
    perDay.set(date, e);
    if (date >= since30 && l.state === CardStateCode.review) {
      reviews += 1;
      const ok = l.rating > 1 ? 1 : 0;
      recalled += ok;
      const p = parts.get(l.card.partId) ?? { reviews: 0, recalled: 0 };
      p.reviews += 1;
      p.recalled += ok;
      parts.set(l.card.partId, p);
    }
  }
  const calendar: DayCount[] = [];
  for (let i = 26 * 7 - 1; i >= 0; i -= 1) {
    const date = addDays(day.date, -i);
    calendar.push({ date, count: perDay.get(date)?.reviews ?? 0 });
  }
  const daily = calendar
    .slice(-30)
    .map((d) => ({ date: d.date, reviews: d.count, minutes: Math.round((perDay.get(d.date)?.ms ?? 0) / 6000) / 10 }));
  const forecastMap = new Map<string, number>();
  const states = { new: 0, learning: 0, review: 0, relearning: 0, suspended: 0, leeches: 0 };
  for (const c of cards) {
    if (c.leech) states.leeches += 1;
    if (c.suspendedAt !== null) {
      states.suspended += 1;
      continue;
    }
    if (c.state === CardStateCode.new) states.new += 1;
    else if (c.state === CardStateCode.learning) states.learning += 1;
    else if (c.state === CardStateCode.review) states.review += 1;
    else states.relearning += 1;
    if (c.state === CardStateCode.new) continue;
    const date = c.due < day.start ? day.date : dateOf(c.due);
    forecastMap.set(date, (forecastMap.get(date) ?? 0) + 1);
  }
  const forecast = Array.from({ length: 30 }, (_, i) => {
    const date = addDays(day.date, i);
    return { date, count: forecastMap.get(date) ?? 0 };
  });
  const reviewDates = new Set(allDates.map((d) => dateOf(d.reviewedAt)));
  let streak = 0;
  let cursor = reviewDates.has(day.date) ? day.date : addDays(day.date, -1);
  while (reviewDates.has(cursor)) {
    streak += 1;
    cursor = addDays(cursor, -1);
  }
  return {
    today: day.date,
    timezone: settings.timezone,
    calendar,
    forecast,
    retention: {
      desired: settings.desiredRetention,
      overall: { reviews, recalled },
      byPart: [...parts].map(([partId, v]) => ({ partId, ...v })).sort((a, b) => (a.partId < b.partId ? -1 : 1)),
    },
    states,
    daily,
    streak,
    totalReviews,
  };
}

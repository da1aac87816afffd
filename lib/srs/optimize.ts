import { computeParameters, FSRSBinding, FSRSBindingItem, FSRSBindingReview } from '@open-spaced-repetition/binding';
import { default_w } from 'ts-fsrs';
import { getDb } from '@/lib/db';
import { AppError } from '@/lib/errors';
import { getReviewSettings, schedulerSettings } from './index';
import type { OptimisationProgress } from './optimize-limits';
import { type ReviewRating, replayHistory, reviewDateOf } from './schedule';

/**
 * Per-learner FSRS parameter optimisation with @open-spaced-repetition/binding (fsrs-rs, the
 * reference optimiser, as a prebuilt native module — Node only, never bundled for the browser).
 * The review log is turned into fsrs-rs training items (one per review after a card's first,
 * holding the card's history up to it, with whole-day gaps in the learner's own days), the
 * current and the fitted parameters are both scored on the same items (log loss, RMSE), and the
 * learner decides whether to keep the new ones and whether to reschedule every card with them.
 */

import { MIN_REVIEWS_FOR_OPTIMISATION } from './optimize-limits';

export { MIN_REVIEWS_FOR_OPTIMISATION };

export interface Evaluation {
  logLoss: number;
  rmse: number;
}

export interface OptimisationResult {
  reviews: number;
  parameters: number[];
  before: Evaluation;
  after: Evaluation;
}

interface LogRow {
  cardId: string;
  rating: number;
  reviewedAt: Date;
}

/** fsrs-rs training items from a review log: whole-day gaps in the learner's days. */
export function trainingItems(logs: readonly LogRow[], timeZone: string, dayStartHour: number): FSRSBindingItem[] {
  const byCard = new Map<string, LogRow[]>();
  for (const l of logs) {
    if (l.rating < 1 || l.rating > 4) continue;
    const list = byCard.get(l.cardId) ?? [];
    list.push(l);
    byCard.set(l.cardId, list);
  }
  const dayNumber = (d: Date) => Date.parse(`${reviewDateOf(d, timeZone, dayStartHour)}T00:00:00Z`) / 86_400_000;
  const items: FSRSBindingItem[] = [];
  for (const list of byCard.values()) {
    list.sort((a, b) => a.reviewedAt.getTime() - b.reviewedAt.getTime());
    const reviews: FSRSBindingReview[] = [];
    let prevDay: number | null = null;
    for (const l of list) {
      const day = dayNumber(l.reviewedAt);
      reviews.push(new FSRSBindingReview(l.rating, prevDay === null ? 0 : day - prevDay));
      prevDay = day;
      // An item predicts its last review from those before it; only gaps of a day or more count.
      if (reviews.length >= 2 && (reviews.at(-1)?.deltaT ?? 0) > 0) items.push(new FSRSBindingItem([...reviews]));
    }
  }
  return items;
}

function evaluate(parameters: readonly number[], items: FSRSBindingItem[]): Evaluation {
  const e = new FSRSBinding([...parameters]).evaluate(items);
  return { logLoss: e.logLoss, rmse: e.rmseBins };
}

/**
 * Fits FSRS parameters to the learner's review log. Refuses (409) below
 * MIN_REVIEWS_FOR_OPTIMISATION reviews. `onProgress` hears each step as it starts, and the
 * training's (done, total) while fsrs-rs fits (it reports every ~100 ms; a fit shorter than that
 * reports nothing within the step). Does not store anything: see `applyParameters`.
 */
export async function optimiseParameters(
  userId: string,
  onProgress: (p: OptimisationProgress) => void = () => {},
): Promise<OptimisationResult> {
  onProgress({ stage: 'reading', reviews: 0, done: 0, total: 0 });
  const settings = await getReviewSettings(userId);
  const logs = await getDb().reviewLog.findMany({ where: { userId }, select: { cardId: true, rating: true, reviewedAt: true } });
  if (logs.length < MIN_REVIEWS_FOR_OPTIMISATION) {
    throw new AppError(
      'conflict',
      `Optimisation needs at least ${MIN_REVIEWS_FOR_OPTIMISATION} reviews to fit your memory rather than noise; you have ${logs.length}.`,
      { details: { reviews: logs.length, minimum: MIN_REVIEWS_FOR_OPTIMISATION } },
    );
  }
  const items = trainingItems(logs, settings.timezone, settings.dayStartHour);
  const current = settings.fsrsParameters ?? [...default_w];
  onProgress({ stage: 'fitting', reviews: logs.length, done: 0, total: 0 });
  const parameters = await computeParameters(items, {
    enableShortTerm: true,
    numRelearningSteps: 1,
    // How often (ms) fsrs-rs reports progress; without it the callback is never called.
    timeout: 100,
    progress: (done, total) => {
      onProgress({ stage: 'fitting', reviews: logs.length, done, total });
    },
  });
  onProgress({ stage: 'scoring', reviews: logs.length, done: 0, total: 0 });
  const before = evaluate(current, items);
  const after = evaluate(parameters, items);
  return { reviews: logs.length, parameters, before, after };
}

/**
 * Stores fitted parameters for the learner; with `reschedule`, replays every card's history with
 * them so each due date reflects the learner's own memory model (suspensions and leech tags stay).
 * Returns how many cards were rescheduled.
 */
export async function applyParameters(
  userId: string,
  parameters: readonly number[],
  reschedule: boolean,
): Promise<{ rescheduled: number }> {
  const db = getDb();
  await db.userSettings.upsert({
    where: { userId },
    create: { userId, fsrsParameters: JSON.stringify(parameters) },
    update: { fsrsParameters: JSON.stringify(parameters) },
  });
  if (!reschedule) return { rescheduled: 0 };
  const settings = schedulerSettings(await getReviewSettings(userId));
  const [states, logs] = await Promise.all([
    db.cardState.findMany({ where: { userId }, select: { cardId: true, introducedAt: true } }),
    db.reviewLog.findMany({ where: { userId }, select: { cardId: true, rating: true, reviewedAt: true }, orderBy: { reviewedAt: 'asc' } }),
  ]);
  const byCard = new Map<string, { rating: ReviewRating; reviewedAt: Date }[]>();
  for (const l of logs) {
    if (l.rating < 1 || l.rating > 4) continue;
    const list = byCard.get(l.cardId) ?? [];
    list.push({ rating: l.rating as ReviewRating, reviewedAt: l.reviewedAt });
    byCard.set(l.cardId, list);
  }
  let rescheduled = 0;
  for (const s of states) {
    const history = byCard.get(s.cardId);
    if (!history || history.length === 0) continue;
    const m = replayHistory(s.cardId, history, s.introducedAt, settings);
    await db.cardState.update({ where: { userId_cardId: { userId, cardId: s.cardId } }, data: m });
    rescheduled += 1;
  }
  return { rescheduled };
}

// ── Jobs: a fit takes seconds to minutes, so it runs behind the request ─────────────────────

export type OptimisationJob =
  | { status: 'idle' }
  | ({ status: 'running'; startedAt: string } & OptimisationProgress)
  | { status: 'done'; startedAt: string; result: OptimisationResult }
  | { status: 'failed'; startedAt: string; message: string };

// In this process's memory: a fit is per learner and short-lived; a restart simply loses an
// unfinished one (nothing is stored until the learner applies the result).
const jobs = new Map<string, OptimisationJob>();

/** The learner's current or last optimisation. */
export function optimisationStatus(userId: string): OptimisationJob {
  return jobs.get(userId) ?? { status: 'idle' };
}

/**
 * Starts fitting in the background and answers at once; refuses (409) at once below the minimum
 * number of reviews. A second start while one runs returns the running one.
 */
export async function startOptimisation(userId: string, now: Date): Promise<OptimisationJob> {
  const current = jobs.get(userId);
  if (current?.status === 'running') return current;
  const reviews = await getDb().reviewLog.count({ where: { userId } });
  if (reviews < MIN_REVIEWS_FOR_OPTIMISATION) {
    throw new AppError(
      'conflict',
      `Optimisation needs at least ${MIN_REVIEWS_FOR_OPTIMISATION} reviews to fit your memory rather than noise; you have ${reviews}.`,
      {
        details: { reviews, minimum: MIN_REVIEWS_FOR_OPTIMISATION },
      },
    );
  }
  const startedAt = now.toISOString();
  const job: OptimisationJob = { status: 'running', startedAt, stage: 'reading', reviews, done: 0, total: 0 };
  jobs.set(userId, job);
  optimiseParameters(userId, (p) => {
    jobs.set(userId, { status: 'running', startedAt, ...p, reviews: p.reviews || reviews });
  }).then(
    (result) => jobs.set(userId, { status: 'done', startedAt, result }),
    (err: unknown) =>
      jobs.set(userId, { status: 'failed', startedAt, message: err instanceof AppError ? err.message : 'The optimiser failed.' }),
  );
  return job;
}

/** Keeps the finished fit's parameters (404 if there is none), optionally rescheduling every card. */
export async function applyOptimisation(userId: string, reschedule: boolean): Promise<{ rescheduled: number; parameters: number[] }> {
  const job = jobs.get(userId);
  if (job?.status !== 'done') throw new AppError('not_found', 'There is no finished optimisation to apply.');
  const out = await applyParameters(userId, job.result.parameters, reschedule);
  jobs.delete(userId);
  return { ...out, parameters: job.result.parameters };
}

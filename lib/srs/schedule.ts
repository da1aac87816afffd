import {
  type FSRS,
  type Card as FsrsCard,
  type ReviewLog as FsrsReviewLog,
  fsrs,
  GenSeedStrategyWithCardId,
  type Grade,
  generatorParameters,
  StrategyMode,
} from 'ts-fsrs';

/**
 * The pure scheduling core: FSRS maths (through ts-fsrs), the learner's "today", and the daily
 * queue. No Node APIs, no database, no clock — every function takes `now`. Because it is pure it
 * runs in the browser too: the Review page computes the next state and the interval labels with
 * the very same code the server uses, and because fuzz is seeded per card (card id + repetition
 * count) both sides land on the same due date. The server stays the authority: it recomputes
 * every rating from its own stored state.
 *
 * ts-fsrs's snake_case stays in this file; callers see `CardMemory` (camelCase, like CardState).
 */

/** 1 Again · 2 Hard · 3 Good · 4 Easy — ts-fsrs's Grade. */
export type ReviewRating = 1 | 2 | 3 | 4;
export const REVIEW_RATINGS: readonly ReviewRating[] = [1, 2, 3, 4];
export const RATING_NAMES: Record<ReviewRating, string> = { 1: 'Again', 2: 'Hard', 3: 'Good', 4: 'Easy' };

/** FSRS card states as stored in CardState.state. */
export const CardStateCode = { new: 0, learning: 1, review: 2, relearning: 3 } as const;
export type CardStateCode = (typeof CardStateCode)[keyof typeof CardStateCode];

/** A learner's memory of one card: the FSRS fields of a CardState row. */
export interface CardMemory {
  due: Date;
  stability: number;
  difficulty: number;
  elapsedDays: number;
  scheduledDays: number;
  learningSteps: number;
  reps: number;
  lapses: number;
  state: number;
  lastReview: Date | null;
}

/** What the scheduler needs from the learner's settings. */
export interface SchedulerSettings {
  /** Target probability of recall at the due date, 0.70–0.99. Higher = more reviews. */
  desiredRetention: number;
  /** Longest interval in days. */
  maximumInterval: number;
  /** Optimised FSRS weights, or null for ts-fsrs's defaults. */
  weights: readonly number[] | null;
}

export const DEFAULT_SCHEDULER_SETTINGS: SchedulerSettings = { desiredRetention: 0.9, maximumInterval: 36500, weights: null };
/** Anki's defaults: two learning steps, one relearning step. */
export const LEARNING_STEPS = ['1m', '10m'] as const;
export const RELEARNING_STEPS = ['10m'] as const;

const schedulers = new Map<string, FSRS>();

function schedulerFor(settings: SchedulerSettings): FSRS {
  const key = `${settings.desiredRetention}|${settings.maximumInterval}|${settings.weights?.join(',') ?? ''}`;
  let f = schedulers.get(key);
  if (!f) {
    f = fsrs(
      generatorParameters({
        request_retention: settings.desiredRetention,
        maximum_interval: settings.maximumInterval,
        ...(settings.weights ? { w: [...settings.weights] } : {}),
        enable_fuzz: true,
        enable_short_term: true,
        learning_steps: [...LEARNING_STEPS],
        relearning_steps: [...RELEARNING_STEPS],
      }),
    ).useStrategy(StrategyMode.SEED, GenSeedStrategyWithCardId('card_id'));
    if (schedulers.size > 64) schedulers.clear();
    schedulers.set(key, f);
  }
  return f;
}

type SeededCard = FsrsCard & { card_id: string };

function toFsrs(m: CardMemory, cardId: string): SeededCard {
  return {
    due: m.due,
    stability: m.stability,
    difficulty: m.difficulty,
    elapsed_days: m.elapsedDays,
    scheduled_days: m.scheduledDays,
    learning_steps: m.learningSteps,
    reps: m.reps,
    lapses: m.lapses,
    state: m.state,
    last_review: m.lastReview ?? undefined,
    card_id: cardId,
  };
}

function fromFsrs(c: FsrsCard): CardMemory {
  return {
    due: c.due,
    stability: c.stability,
    difficulty: c.difficulty,
    elapsedDays: c.elapsed_days,
    scheduledDays: c.scheduled_days,
    learningSteps: c.learning_steps,
    reps: c.reps,
    lapses: c.lapses,
    state: c.state,
    lastReview: c.last_review ?? null,
  };
}

/** Card memory as the wire and IndexedDB carry it: dates as ISO strings. */
export interface CardMemoryJson {
  due: string;
  stability: number;
  difficulty: number;
  elapsedDays: number;
  scheduledDays: number;
  learningSteps: number;
  reps: number;
  lapses: number;
  state: number;
  lastReview: string | null;
}

/** CardMemory → JSON-safe form (exact: ISO strings keep milliseconds, floats round-trip). */
export function memoryToJson(m: CardMemory): CardMemoryJson {
  return { ...m, due: m.due.toISOString(), lastReview: m.lastReview?.toISOString() ?? null };
}

/** JSON form → CardMemory. */
export function memoryFromJson(m: CardMemoryJson): CardMemory {
  return { ...m, due: new Date(m.due), lastReview: m.lastReview === null ? null : new Date(m.lastReview) };
}

/** A new card as ts-fsrs creates it: state new, due `now`. */
export function newCardMemory(now: Date): CardMemory {
  return {
    due: now,
    stability: 0,
    difficulty: 0,
    elapsedDays: 0,
    scheduledDays: 0,
    learningSteps: 0,
    reps: 0,
    lapses: 0,
    state: CardStateCode.new,
    lastReview: null,
  };
}

/** The values a review log row keeps: the card as it was before the review (ts-fsrs semantics). */
export interface ReviewLogValues {
  rating: ReviewRating;
  state: number;
  due: Date;
  stability: number;
  difficulty: number;
  elapsedDays: number;
  scheduledDays: number;
}

function logValues(l: FsrsReviewLog): ReviewLogValues {
  return {
    rating: l.rating as ReviewRating,
    state: l.state,
    due: l.due,
    stability: l.stability,
    difficulty: l.difficulty,
    elapsedDays: l.elapsed_days,
    scheduledDays: l.scheduled_days,
  };
}

/**
 * The card's memory after rating it at `at`. Deterministic: the same card, history, rating, time
 * and settings always give the same due date (fuzz is seeded by card id and repetition count).
 */
export function rateMemory(
  memory: CardMemory,
  cardId: string,
  rating: ReviewRating,
  at: Date,
  settings: SchedulerSettings,
): { memory: CardMemory; log: ReviewLogValues } {
  const item = schedulerFor(settings).next(toFsrs(memory, cardId), at, rating as Grade);
  return { memory: capInterval(fromFsrs(item.card), at, settings), log: logValues(item.log) };
}

/**
 * ts-fsrs keeps Hard < Good < Easy by adding a day after fuzz, which can step one or two days past
 * `maximum_interval` (seen with a 7-day maximum: Easy gave 8). The learner's maximum is a promise
 * in the settings, so it is enforced here.
 */
function capInterval(m: CardMemory, at: Date, settings: SchedulerSettings): CardMemory {
  if (m.scheduledDays <= settings.maximumInterval) return m;
  return { ...m, scheduledDays: settings.maximumInterval, due: new Date(at.getTime() + settings.maximumInterval * 86_400_000) };
}

/** All four outcomes at once, for the rating buttons' labels ("10 min", "3 d"). */
export function previewRatings(
  memory: CardMemory,
  cardId: string,
  at: Date,
  settings: SchedulerSettings,
): Record<ReviewRating, CardMemory> {
  const preview = schedulerFor(settings).repeat(toFsrs(memory, cardId), at);
  return {
    1: capInterval(fromFsrs(preview[1].card), at, settings),
    2: capInterval(fromFsrs(preview[2].card), at, settings),
    3: capInterval(fromFsrs(preview[3].card), at, settings),
    4: capInterval(fromFsrs(preview[4].card), at, settings),
  };
}

/** Probability of recall at `at` (0–1); 0 for a card never reviewed. */
export function retrievability(memory: CardMemory, cardId: string, at: Date, settings: SchedulerSettings): number {
  if (memory.state === CardStateCode.new) return 0;
  return schedulerFor(settings).get_retrievability(toFsrs(memory, cardId), at, false);
}

/**
 * Replays a card's whole review history with (new) settings — used after optimisation to
 * reschedule every card with the learner's own weights. Returns the memory after the last review.
 */
export function replayHistory(
  cardId: string,
  history: readonly { rating: ReviewRating; reviewedAt: Date }[],
  introducedAt: Date,
  settings: SchedulerSettings,
): CardMemory {
  let m = newCardMemory(introducedAt);
  for (const h of history) m = rateMemory(m, cardId, h.rating, h.reviewedAt, settings).memory;
  return m;
}

/** A short, human interval label: "1 min", "10 min", "3 h", "4 d", "2.5 mo", "1.2 y". */
export function formatInterval(from: Date, to: Date): string {
  const minutes = Math.max(0, (to.getTime() - from.getTime()) / 60_000);
  if (minutes < 60) return `${Math.max(1, Math.round(minutes))} min`;
  const hours = minutes / 60;
  if (hours < 24) return `${Math.round(hours)} h`;
  const days = hours / 24;
  if (days < 30) return `${Math.round(days)} d`;
  if (days < 365) return `${trim(days / 30.4)} mo`;
  return `${trim(days / 365.25)} y`;
}

function trim(n: number): string {
  return n < 10 ? n.toFixed(1).replace(/\.0$/, '') : String(Math.round(n));
}

// ── The learner's day ──────────────────────────────────────────────────────────────────────

/**
 * One formatter per zone: building an Intl.DateTimeFormat costs ~100× a format call, and a
 * cohort dashboard places thousands of instants in learners' days.
 */
const zoneFormatters = new Map<string, Intl.DateTimeFormat>();

/** Offset of `timeZone` from UTC at instant `at`, in milliseconds (local − UTC). */
function zoneOffsetMs(at: Date, timeZone: string): number {
  let fmt = zoneFormatters.get(timeZone);
  if (!fmt) {
    fmt = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    zoneFormatters.set(timeZone, fmt);
  }
  const parts = fmt.formatToParts(at);
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value ?? 0);
  const local = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return local - Math.floor(at.getTime() / 1000) * 1000;
}

/** The UTC instant of a wall-clock time in `timeZone` (DST-aware; a skipped hour moves forward). */
function zonedInstant(year: number, month: number, day: number, hour: number, timeZone: string): Date {
  const guess = Date.UTC(year, month, day, hour);
  const first = guess - zoneOffsetMs(new Date(guess), timeZone);
  const second = guess - zoneOffsetMs(new Date(first), timeZone);
  return new Date(second);
}

/** True when `timeZone` is an IANA zone this runtime knows. */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

export interface ReviewDay {
  /** The learner's calendar date of this review day, YYYY-MM-DD. */
  date: string;
  start: Date;
  end: Date;
}

/**
 * The learner's review day containing `now`: it starts at `dayStartHour` local time in
 * `timeZone` (Anki's "next day starts at 4 am"), so a session at 1 am still counts as yesterday.
 */
export function reviewDayAt(now: Date, timeZone: string, dayStartHour: number): ReviewDay {
  const shifted = new Date(now.getTime() - dayStartHour * 3_600_000);
  const local = new Date(shifted.getTime() + zoneOffsetMs(shifted, timeZone));
  const y = local.getUTCFullYear();
  const m = local.getUTCMonth();
  const d = local.getUTCDate();
  let start = zonedInstant(y, m, d, dayStartHour, timeZone);
  // Near DST changes the estimate can land one day off; step to the day that contains now.
  if (start.getTime() > now.getTime()) start = zonedInstant(y, m, d - 1, dayStartHour, timeZone);
  let end = zonedInstant(y, m, d + 1, dayStartHour, timeZone);
  if (end.getTime() <= now.getTime()) {
    start = end;
    end = zonedInstant(y, m, d + 2, dayStartHour, timeZone);
  }
  return { date: new Date(Date.UTC(y, m, d)).toISOString().slice(0, 10), start, end };
}

/** The review day a past instant belonged to, as YYYY-MM-DD (for the calendar and streak). */
export function reviewDateOf(at: Date, timeZone: string, dayStartHour: number): string {
  return reviewDayAt(at, timeZone, dayStartHour).date;
}

// ── The daily queue ────────────────────────────────────────────────────────────────────────

export interface QueueCandidate {
  cardId: string;
  /** Dissertation section: cards of one section are siblings, buried for the day once one is seen. */
  sectionId: string;
  introducedAt: Date;
  memory: CardMemory;
  suspended: boolean;
}

export interface QueueLimits {
  now: Date;
  day: ReviewDay;
  newCardsPerDay: number;
  reviewsPerDay: number;
  /** New cards and reviews already done this review day. */
  newDoneToday: number;
  reviewsDoneToday: number;
  /** Sections with a card reviewed this review day (their other new/review cards are buried). */
  sectionsSeenToday: ReadonlySet<string>;
}

export interface DailyQueue {
  /** Learning and relearning cards due before the day ends, earliest first. */
  learning: QueueCandidate[];
  /** Review cards due today, most overdue first, capped by the daily review limit. */
  review: QueueCandidate[];
  /** New cards in introduction order, up to what is left of the daily new-card limit. */
  fresh: QueueCandidate[];
  /** Cards held back today because a sibling from the same section was already shown. */
  buried: number;
}

/**
 * Today's queue, in the order the learner meets it: learning/relearning first, then due reviews,
 * then new cards. Suspended cards never appear. Siblings (same section) of a card seen today, and
 * all but the first new/review card per section, wait until tomorrow. Learning cards are never
 * buried: their short steps only work if they come back on time.
 */
export function buildDailyQueue(cards: readonly QueueCandidate[], limits: QueueLimits): DailyQueue {
  const active = cards.filter((c) => !c.suspended);
  const endMs = limits.day.end.getTime();
  const learning = active
    .filter(
      (c) => (c.memory.state === CardStateCode.learning || c.memory.state === CardStateCode.relearning) && c.memory.due.getTime() < endMs,
    )
    .sort((a, b) => a.memory.due.getTime() - b.memory.due.getTime() || cmp(a.cardId, b.cardId));
  const seen = new Set(limits.sectionsSeenToday);
  for (const c of learning) seen.add(c.sectionId);
  let buried = 0;
  const take = (list: QueueCandidate[], cap: number): QueueCandidate[] => {
    const out: QueueCandidate[] = [];
    for (const c of list) {
      if (seen.has(c.sectionId)) {
        buried += 1;
        continue;
      }
      if (out.length >= cap) continue;
      seen.add(c.sectionId);
      out.push(c);
    }
    return out;
  };
  const review = take(
    active
      .filter((c) => c.memory.state === CardStateCode.review && c.memory.due.getTime() < endMs)
      .sort((a, b) => a.memory.due.getTime() - b.memory.due.getTime() || cmp(a.cardId, b.cardId)),
    Math.max(0, limits.reviewsPerDay - limits.reviewsDoneToday),
  );
  const fresh = take(
    active
      .filter((c) => c.memory.state === CardStateCode.new)
      .sort((a, b) => a.introducedAt.getTime() - b.introducedAt.getTime() || cmp(a.cardId, b.cardId)),
    Math.max(0, limits.newCardsPerDay - limits.newDoneToday),
  );
  return { learning, review, fresh, buried };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** True when this rating makes the card a leech: a lapse (Again on a review card) reaching the threshold. */
export function becomesLeech(before: CardMemory, after: CardMemory, threshold: number): boolean {
  return before.state === CardStateCode.review && after.lapses > before.lapses && after.lapses >= threshold;
}

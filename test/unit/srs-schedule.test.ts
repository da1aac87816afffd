import { createEmptyCard, fsrs, GenSeedStrategyWithCardId, type Grade, generatorParameters, StrategyMode } from 'ts-fsrs';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '@/lib/prng';
import {
  becomesLeech,
  buildDailyQueue,
  type CardMemory,
  DEFAULT_SCHEDULER_SETTINGS,
  formatInterval,
  newCardMemory,
  previewRatings,
  type QueueCandidate,
  type ReviewRating,
  rateMemory,
  replayHistory,
  reviewDayAt,
} from '@/lib/srs';

const T0 = new Date('2026-03-02T09:00:00.000Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);
const DAY = 24 * 60;

describe('scheduling matches ts-fsrs for the same history', () => {
  it('gives the same card state as ts-fsrs called directly, review after review', () => {
    const oracle = fsrs(
      generatorParameters({
        request_retention: 0.9,
        maximum_interval: 36500,
        enable_fuzz: true,
        enable_short_term: true,
        learning_steps: ['1m', '10m'],
        relearning_steps: ['10m'],
      }),
    ).useStrategy(StrategyMode.SEED, GenSeedStrategyWithCardId('card_id'));
    const ratings: ReviewRating[] = [3, 3, 1, 3, 4, 2, 3, 3, 1, 1, 3];
    let ours: CardMemory = newCardMemory(T0);
    let theirs = { ...createEmptyCard(T0), card_id: 'p1-card' };
    for (const r of ratings) {
      const when = ours.due.getTime() > T0.getTime() ? ours.due : T0;
      ours = rateMemory(ours, 'p1-card', r, when, DEFAULT_SCHEDULER_SETTINGS).memory;
      theirs = { ...oracle.next(theirs, when, r as Grade).card, card_id: 'p1-card' };
      expect(ours.due.toISOString()).toBe(theirs.due.toISOString());
      expect(ours.stability).toBe(theirs.stability);
      expect(ours.difficulty).toBe(theirs.difficulty);
      expect(ours.state).toBe(theirs.state);
      expect(ours.reps).toBe(theirs.reps);
      expect(ours.lapses).toBe(theirs.lapses);
      expect(ours.learningSteps).toBe(theirs.learning_steps);
    }
    // The first Again came while learning (no lapse); the two later ones were lapses of a review card.
    expect(ours.lapses).toBe(2);
  });

  it('replaying a history lands where rating it step by step did', () => {
    const history = [
      { rating: 3 as const, reviewedAt: at(0) },
      { rating: 3 as const, reviewedAt: at(10) },
      { rating: 3 as const, reviewedAt: at(3 * DAY) },
    ];
    let m = newCardMemory(T0);
    for (const h of history) m = rateMemory(m, 'c', h.rating, h.reviewedAt, DEFAULT_SCHEDULER_SETTINGS).memory;
    expect(replayHistory('c', history, T0, DEFAULT_SCHEDULER_SETTINGS)).toEqual(m);
  });
});

describe('property: random rating sequences stay within what FSRS produces', () => {
  it('never schedules into the past, never a negative interval, only states 1–3 after a review', () => {
    const rand = seededRandom(20261206);
    for (let cardNo = 0; cardNo < 300; cardNo += 1) {
      const cardId = `card-${cardNo}`;
      const retention = 0.7 + rand() * 0.29;
      const settings = { desiredRetention: retention, maximumInterval: 30 + Math.floor(rand() * 3000), weights: null };
      let m = newCardMemory(T0);
      let now = T0;
      for (let i = 0; i < 25; i += 1) {
        // Review early, on time or late: anywhere from now to twice the scheduled gap.
        const gap = Math.max(0, m.due.getTime() - now.getTime());
        now = new Date(now.getTime() + Math.floor(rand() * 2 * gap) + 1000);
        const rating = (1 + Math.floor(rand() * 4)) as ReviewRating;
        const before = m;
        m = rateMemory(m, cardId, rating, now, settings).memory;
        const where = `${cardId} review ${i} rating ${rating} retention ${retention.toFixed(2)}`;
        expect(m.due.getTime(), where).toBeGreaterThanOrEqual(now.getTime());
        expect(m.scheduledDays, where).toBeGreaterThanOrEqual(0);
        expect(m.scheduledDays, where).toBeLessThanOrEqual(settings.maximumInterval);
        expect([1, 2, 3], where).toContain(m.state);
        expect(m.reps, where).toBe(before.reps + 1);
        expect(m.lapses, where).toBeGreaterThanOrEqual(before.lapses);
        expect(m.stability, where).toBeGreaterThan(0);
        expect(m.difficulty, where).toBeGreaterThanOrEqual(1);
        expect(m.difficulty, where).toBeLessThanOrEqual(10);
        expect(m.lastReview?.getTime(), where).toBe(now.getTime());
      }
    }
  });
});

describe('fuzz, retention and the maximum interval', () => {
  /** A card in review state with a long history, to get intervals where fuzz matters. */
  function matureCard(cardId: string, settings = DEFAULT_SCHEDULER_SETTINGS): { m: CardMemory; now: Date } {
    let m = newCardMemory(T0);
    let now = T0;
    for (let i = 0; i < 5; i += 1) {
      now = m.due;
      m = rateMemory(m, cardId, 3, now, settings).memory;
    }
    return { m, now: m.due };
  }

  it('is seeded per card: the same card and history always give the same due date, other cards differ', () => {
    const a1 = matureCard('card-a');
    const a2 = matureCard('card-a');
    expect(a1.m.due.toISOString()).toBe(a2.m.due.toISOString());
    const dues = new Set(Array.from({ length: 20 }, (_, i) => matureCard(`card-${i}`).m.scheduledDays));
    expect(dues.size).toBeGreaterThan(1);
  });

  it('higher desired retention means shorter intervals (more reviews)', () => {
    const low = matureCard('c', { ...DEFAULT_SCHEDULER_SETTINGS, desiredRetention: 0.75 });
    const high = matureCard('c', { ...DEFAULT_SCHEDULER_SETTINGS, desiredRetention: 0.97 });
    expect(high.m.scheduledDays).toBeLessThan(low.m.scheduledDays);
  });

  it('never schedules past the maximum interval', () => {
    const settings = { ...DEFAULT_SCHEDULER_SETTINGS, maximumInterval: 7 };
    let m = newCardMemory(T0);
    for (let i = 0; i < 12; i += 1) m = rateMemory(m, 'c', 4, m.due, settings).memory;
    expect(m.scheduledDays).toBeLessThanOrEqual(7);
    expect(m.scheduledDays).toBeGreaterThan(0);
  });

  it('previews the four outcomes exactly as rating would, with learning steps for a new card', () => {
    const m = newCardMemory(T0);
    const p = previewRatings(m, 'c', T0, DEFAULT_SCHEDULER_SETTINGS);
    for (const r of [1, 2, 3, 4] as const) expect(p[r]).toEqual(rateMemory(m, 'c', r, T0, DEFAULT_SCHEDULER_SETTINGS).memory);
    expect(formatInterval(T0, p[1].due)).toBe('1 min');
    expect(formatInterval(T0, p[3].due)).toBe('10 min');
    expect(p[4].state).toBe(2);
  });
});

describe('formatInterval', () => {
  it('says minutes, hours, days, months and years the way the buttons show them', () => {
    expect(formatInterval(T0, at(10))).toBe('10 min');
    expect(formatInterval(T0, at(180))).toBe('3 h');
    expect(formatInterval(T0, at(3 * DAY))).toBe('3 d');
    expect(formatInterval(T0, at(76 * DAY))).toBe('2.5 mo');
    expect(formatInterval(T0, at(438 * DAY))).toBe('1.2 y');
  });
});

describe("the learner's day", () => {
  it('starts at the day-start hour in the learner’s zone: 01:30 in Paris is still yesterday', () => {
    const d = reviewDayAt(new Date('2026-03-03T00:30:00Z'), 'Europe/Paris', 4); // 01:30 CET
    expect(d.date).toBe('2026-03-02');
    expect(d.start.toISOString()).toBe('2026-03-02T03:00:00.000Z');
    expect(d.end.toISOString()).toBe('2026-03-03T03:00:00.000Z');
  });

  it('follows daylight-saving changes (New York, spring forward: a 23-hour day)', () => {
    const d = reviewDayAt(new Date('2026-03-07T15:00:00Z'), 'America/New_York', 4);
    expect(d.date).toBe('2026-03-07');
    expect(d.start.toISOString()).toBe('2026-03-07T09:00:00.000Z'); // 04:00 EST
    expect(d.end.toISOString()).toBe('2026-03-08T08:00:00.000Z'); // 04:00 EDT, clocks went forward at 02:00
  });

  it('a zone east of UTC past the boundary is already tomorrow when UTC is not', () => {
    const d = reviewDayAt(new Date('2026-03-02T22:00:00Z'), 'Asia/Tokyo', 4); // 07:00 on the 3rd in Tokyo
    expect(d.date).toBe('2026-03-03');
    expect(d.start.toISOString()).toBe('2026-03-02T19:00:00.000Z');
  });
});

describe('the daily queue', () => {
  const day = reviewDayAt(T0, 'UTC', 4);
  const mem = (state: number, dueMin: number, lapses = 0): CardMemory => ({
    ...newCardMemory(at(dueMin)),
    state,
    lapses,
    stability: state ? 3 : 0,
  });
  const card = (cardId: string, sectionId: string, m: CardMemory, extra: Partial<QueueCandidate> = {}): QueueCandidate => ({
    cardId,
    sectionId,
    introducedAt: T0,
    memory: m,
    suspended: false,
    ...extra,
  });
  const limits = {
    now: T0,
    day,
    newCardsPerDay: 2,
    reviewsPerDay: 2,
    newDoneToday: 0,
    reviewsDoneToday: 0,
    sectionsSeenToday: new Set<string>(),
  };

  it('puts learning first, then due reviews (most overdue first), then new cards up to the limits', () => {
    const q = buildDailyQueue(
      [
        card('n1', 's1', mem(0, 0), { introducedAt: at(-5) }),
        card('n2', 's2', mem(0, 0), { introducedAt: at(-4) }),
        card('n3', 's3', mem(0, 0), { introducedAt: at(-3) }),
        card('r-late', 's4', mem(2, -3 * DAY)),
        card('r-now', 's5', mem(2, 0)),
        card('r-third', 's6', mem(2, 60)),
        card('r-tomorrow', 's7', mem(2, 2 * DAY)),
        card('l1', 's8', mem(1, 5)),
        card('rl', 's9', mem(3, -1)),
        card('sus', 's10', mem(2, -DAY), { suspended: true }),
      ],
      limits,
    );
    expect(q.learning.map((c) => c.cardId)).toEqual(['rl', 'l1']);
    expect(q.review.map((c) => c.cardId)).toEqual(['r-late', 'r-now']);
    expect(q.fresh.map((c) => c.cardId)).toEqual(['n1', 'n2']);
  });

  it('counts what was already done today against the limits', () => {
    const q = buildDailyQueue([card('n1', 's1', mem(0, 0)), card('n2', 's2', mem(0, 0)), card('r1', 's3', mem(2, 0))], {
      ...limits,
      newDoneToday: 1,
      reviewsDoneToday: 2,
    });
    expect(q.fresh.map((c) => c.cardId)).toEqual(['n1']);
    expect(q.review).toEqual([]);
  });

  it('buries siblings: one new/review card per section a day, none from a section seen today', () => {
    const q = buildDailyQueue(
      [
        card('a1', 'sa', mem(2, 0)),
        card('a2', 'sa', mem(0, 0)),
        card('b1', 'sb', mem(0, 0)),
        card('c1', 'sc', mem(1, 0)),
        card('c2', 'sc', mem(2, 0)),
      ],
      { ...limits, sectionsSeenToday: new Set(['sb']) },
    );
    expect(q.learning.map((c) => c.cardId)).toEqual(['c1']);
    expect(q.review.map((c) => c.cardId)).toEqual(['a1']);
    expect(q.fresh).toEqual([]);
    expect(q.buried).toBe(3);
  });
});

describe('leeches', () => {
  it('a card becomes a leech on the lapse that reaches the threshold, not before, not on other ratings', () => {
    const review: CardMemory = {
      ...newCardMemory(T0),
      state: 2,
      stability: 5,
      difficulty: 5,
      reps: 10,
      lapses: 7,
      lastReview: at(-5 * DAY),
    };
    const again = rateMemory(review, 'c', 1, T0, DEFAULT_SCHEDULER_SETTINGS).memory;
    expect(again.lapses).toBe(8);
    expect(becomesLeech(review, again, 8)).toBe(true);
    expect(becomesLeech(review, again, 9)).toBe(false);
    const good = rateMemory(review, 'c', 3, T0, DEFAULT_SCHEDULER_SETTINGS).memory;
    expect(becomesLeech(review, good, 8)).toBe(false);
  });
});

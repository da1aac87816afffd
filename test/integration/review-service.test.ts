import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Papa from 'papaparse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployMigrations } from '../helpers/server';

// The review service against a real SQLite file with the real migrations (fixed dates throughout).
const dir = mkdtempSync(path.join(tmpdir(), 'km-review-'));
process.env.DATABASE_URL = `file:${path.join(dir, 'review.db')}`;
const { loadCourse } = await import('@/lib/content');
const { syncCourse } = await import('@/lib/course');
const srs = await import('@/lib/srs');
const review = await import('@/lib/review');
const { getDb, closeDb } = await import('@/lib/db');
const { AppError } = await import('@/lib/errors');

const T = (iso: string) => new Date(iso);
const NOW = T('2026-11-10T10:00:00.000Z');
let n = 0;
const rid = () => {
  n += 1;
  return `review-${n.toString().padStart(6, '0')}`;
};

async function caught(p: Promise<unknown>): Promise<InstanceType<typeof AppError>> {
  try {
    await p;
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  throw new Error('expected an AppError');
}

describe('review service (lib/srs + lib/review on SQLite)', () => {
  let cardIds: string[];
  beforeAll(async () => {
    deployMigrations(process.env.DATABASE_URL ?? '');
    const course = loadCourse('content');
    await syncCourse(course, T('2026-11-01T00:00:00Z'));
    const db = getDb();
    await db.user.create({ data: { id: 'u1', email: 'u1@example.test', name: 'One' } });
    await db.user.create({ data: { id: 'u2', email: 'u2@example.test', name: 'Two' } });
    // One card per section, so sibling burying does not hide the ones this test rates.
    const bySection = new Map<string, string>();
    for (const c of course.cards) if (!bySection.has(c.section)) bySection.set(c.section, c.id);
    cardIds = [...bySection.values()].slice(0, 30);
    await srs.introduceCards('u1', cardIds, T('2026-11-09T08:00:00Z'));
  });
  afterAll(async () => {
    await closeDb();
    rmSync(dir, { recursive: true, force: true });
  });

  it('rates a card: state and log row written together, learning steps, next cards in the answer', async () => {
    const cardId = cardIds[0] ?? '';
    const clientReviewId = rid();
    const out = await review.rateAndContinue('u1', { clientReviewId, cardId, rating: 3, reviewedAt: NOW, durationMs: 4200 }, NOW);
    expect(out.review.applied).toBe(true);
    expect(out.review.memory.state).toBe(1);
    expect(out.review.memory.due).toBe('2026-11-10T10:10:00.000Z'); // the 10-minute learning step
    expect(out.next[0]?.cardId).toBe(cardId); // the learning card, due in 10 minutes
    expect(out.next.every((c) => c.kind !== 'new')).toBe(true); // new cards come only within the daily limit
    expect(out.next[0]?.frontHtml).toContain('<');
    const log = await getDb().reviewLog.findUniqueOrThrow({ where: { clientReviewId } });
    expect(log).toMatchObject({ userId: 'u1', cardId, rating: 3, state: 0, durationMs: 4200 });
  });

  it('applies a retried rating once and says so', async () => {
    const cardId = cardIds[1] ?? '';
    const input = { clientReviewId: rid(), cardId, rating: 4 as const, reviewedAt: NOW };
    const first = await srs.recordReview('u1', input, NOW);
    const second = await srs.recordReview('u1', input, NOW);
    const third = await srs.recordReview('u1', input, T('2026-11-10T11:00:00Z'));
    expect(first.applied).toBe(true);
    expect(second.applied).toBe(false);
    expect(third.applied).toBe(false);
    expect(second.memory).toEqual(first.memory);
    expect(await getDb().reviewLog.count({ where: { clientReviewId: input.clientReviewId } })).toBe(1);
    const row = await getDb().cardState.findUniqueOrThrow({ where: { userId_cardId: { userId: 'u1', cardId } } });
    expect(row.reps).toBe(1);
  });

  it('refuses a card that is not the learner’s with not_found, and a reused id for another card with conflict', async () => {
    const e = await caught(srs.recordReview('u2', { clientReviewId: rid(), cardId: cardIds[2] ?? '', rating: 3, reviewedAt: NOW }, NOW));
    expect(e.code).toBe('not_found');
    const id = rid();
    await srs.recordReview('u1', { clientReviewId: id, cardId: cardIds[3] ?? '', rating: 3, reviewedAt: NOW }, NOW);
    const reused = await caught(srs.recordReview('u1', { clientReviewId: id, cardId: cardIds[4] ?? '', rating: 3, reviewedAt: NOW }, NOW));
    expect(reused.code).toBe('conflict');
  });

  it('answers a stale rating (the card was reviewed later) with conflict and the current state', async () => {
    const cardId = cardIds[5] ?? '';
    await srs.recordReview('u1', { clientReviewId: rid(), cardId, rating: 3, reviewedAt: NOW }, NOW);
    const e = await caught(
      srs.recordReview('u1', { clientReviewId: rid(), cardId, rating: 1, reviewedAt: T('2026-11-10T09:00:00Z') }, NOW),
    );
    expect(e.code).toBe('conflict');
    expect(e.extra.details).toMatchObject({ cardId, lastReview: NOW.toISOString(), memory: { state: 1, reps: 1 } });
  });

  it('refuses a review time in the future, naming the field', async () => {
    const e = await caught(
      srs.recordReview('u1', { clientReviewId: rid(), cardId: cardIds[6] ?? '', rating: 3, reviewedAt: T('2026-11-10T11:00:00Z') }, NOW),
    );
    expect(e.code).toBe('invalid_input');
    expect(e.extra.fields?.[0]?.path).toBe('reviewedAt');
  });

  it('undo restores the previous card row byte for byte and deletes the log row', async () => {
    const cardId = cardIds[7] ?? '';
    const db = getDb();
    // Give the card some history first, so the restored row is not just a new card.
    let at = NOW;
    for (const r of [3, 3, 3] as const) {
      const res = await srs.recordReview('u1', { clientReviewId: rid(), cardId, rating: r, reviewedAt: at }, at);
      at = new Date(res.memory.due);
    }
    const where = { userId_cardId: { userId: 'u1', cardId } };
    const before = await db.cardState.findUniqueOrThrow({ where });
    const rawBefore = await db.$queryRawUnsafe<Record<string, unknown>[]>(
      'SELECT * FROM "CardState" WHERE "userId" = ? AND "cardId" = ?',
      'u1',
      cardId,
    );
    const id = rid();
    const rated = await srs.recordReview('u1', { clientReviewId: id, cardId, rating: 1, reviewedAt: at }, at);
    expect(rated.memory.lapses).toBe(1);
    const undone = await srs.undoReview('u1', id, at);
    const after = await db.cardState.findUniqueOrThrow({ where });
    const rawAfter = await db.$queryRawUnsafe<Record<string, unknown>[]>(
      'SELECT * FROM "CardState" WHERE "userId" = ? AND "cardId" = ?',
      'u1',
      cardId,
    );
    expect(after).toEqual(before);
    expect(JSON.stringify(rawAfter)).toBe(JSON.stringify(rawBefore));
    expect(undone.memory.lapses).toBe(0);
    expect(await db.reviewLog.findUnique({ where: { clientReviewId: id } })).toBeNull();
    expect((await caught(srs.undoReview('u1', id, at))).code).toBe('not_found');
    // The same rating arriving again after the undo (its first answer was lost) is refused, not re-applied.
    const again = await caught(srs.recordReview('u1', { clientReviewId: id, cardId, rating: 1, reviewedAt: at }, at));
    expect(again.code).toBe('conflict');
    expect(again.extra.details).toMatchObject({ undone: true });
    expect(JSON.stringify(await db.$queryRawUnsafe('SELECT * FROM "CardState" WHERE "userId" = ? AND "cardId" = ?', 'u1', cardId))).toBe(
      JSON.stringify(rawBefore),
    );
    expect(await db.reviewLog.count({ where: { clientReviewId: id } })).toBe(0);
  });

  it('ratings arriving together share a transaction, yet each gets its own answer and a refusal holds back none', async () => {
    const [a, b] = [cardIds[11] ?? '', cardIds[12] ?? ''];
    const idA = rid();
    const idB = rid();
    const results = await Promise.allSettled([
      srs.recordReview('u1', { clientReviewId: idA, cardId: a, rating: 3, reviewedAt: NOW }, NOW),
      srs.recordReview('u2', { clientReviewId: rid(), cardId: a, rating: 3, reviewedAt: NOW }, NOW), // not u2's card
      srs.recordReview('u1', { clientReviewId: idA, cardId: a, rating: 3, reviewedAt: NOW }, NOW), // a retry of the first
      srs.recordReview('u1', { clientReviewId: idB, cardId: b, rating: 1, reviewedAt: NOW }, NOW),
      srs.recordReview('u1', { clientReviewId: idA, cardId: b, rating: 3, reviewedAt: NOW }, NOW), // id reused for another card
    ]);
    const [first, other, retry, second, reused] = results;
    expect(first.status === 'fulfilled' && first.value.applied).toBe(true);
    expect(other.status === 'rejected' && (other.reason as InstanceType<typeof AppError>).code).toBe('not_found');
    expect(
      retry.status === 'fulfilled' &&
        !retry.value.applied &&
        retry.value.memory.due === (first.status === 'fulfilled' && first.value.memory.due),
    ).toBe(true);
    expect(second.status === 'fulfilled' && second.value.applied && second.value.memory.lapses === 0).toBe(true);
    expect(reused.status === 'rejected' && (reused.reason as InstanceType<typeof AppError>).code).toBe('conflict');
    const db = getDb();
    expect(await db.reviewLog.count({ where: { clientReviewId: { in: [idA, idB] } } })).toBe(2);
    expect(await db.reviewLog.count({ where: { userId: 'u2' } })).toBe(0);
  });

  it('an undo of a rating the server never saw (sent, answer lost) keeps it from landing later', async () => {
    const cardId = cardIds[10] ?? '';
    const id = rid();
    expect((await caught(srs.undoReview('u1', id, NOW))).code).toBe('not_found');
    const late = await caught(srs.recordReview('u1', { clientReviewId: id, cardId, rating: 3, reviewedAt: NOW }, NOW));
    expect(late.code).toBe('conflict');
    expect(await getDb().reviewLog.count({ where: { clientReviewId: id } })).toBe(0);
  });

  it('only the latest review of a card can be undone, and nobody undoes another learner’s review', async () => {
    const cardId = cardIds[8] ?? '';
    const a = rid();
    const r = await srs.recordReview('u1', { clientReviewId: a, cardId, rating: 3, reviewedAt: NOW }, NOW);
    await srs.recordReview('u1', { clientReviewId: rid(), cardId, rating: 3, reviewedAt: new Date(r.memory.due) }, new Date(r.memory.due));
    expect((await caught(srs.undoReview('u1', a, NOW))).code).toBe('conflict');
    expect((await caught(srs.undoReview('u2', a, NOW))).code).toBe('not_found');
  });

  it('makes a leech at the threshold, suspends it when asked, and suspension keeps it out of the queue', async () => {
    const cardId = cardIds[9] ?? '';
    await srs.updateReviewSettings('u1', { leechThreshold: 2, leechAction: 'suspend' });
    let at = NOW;
    const rate = async (rating: 1 | 3) => {
      const res = await srs.recordReview('u1', { clientReviewId: rid(), cardId, rating, reviewedAt: at }, at);
      at = new Date(Math.max(new Date(res.memory.due).getTime(), at.getTime() + 60_000));
      return res;
    };
    await rate(3);
    await rate(3); // graduates to review
    let res = await rate(1); // lapse 1
    expect(res.leech).toBe(false);
    await rate(3); // relearning → review
    res = await rate(1); // lapse 2 → leech, suspended
    expect(res.leech).toBe(true);
    expect(res.suspended).toBe(true);
    const q = await srs.loadDailyQueue('u1', at);
    expect(q.entries.some((e) => e.cardId === cardId)).toBe(false);
    expect((await srs.listSetAsideCards('u1')).find((c) => c.cardId === cardId)).toMatchObject({ leech: true, suspended: true });
    await srs.setCardSuspended('u1', cardId, false, at);
    expect((await srs.loadDailyQueue('u1', at)).entries.some((e) => e.cardId === cardId)).toBe(true);
    await srs.updateReviewSettings('u1', { leechThreshold: 8, leechAction: 'tag' });
  });

  it('respects the daily new-card limit, counted in the learner’s own day', async () => {
    await srs.updateReviewSettings('u1', { newCardsPerDay: 3, timezone: 'Europe/Paris', dayStartHour: 4 });
    const q = await srs.loadDailyQueue('u1', NOW);
    // Several new cards were rated today (10:00Z is 11:00 in Paris), so the limit is used up.
    expect(q.counts.new).toBe(0);
    expect(q.day).toEqual({ date: '2026-11-10', start: '2026-11-10T03:00:00.000Z', end: '2026-11-11T03:00:00.000Z' });
    const tomorrow = await srs.loadDailyQueue('u1', T('2026-11-11T04:00:00Z'));
    expect(tomorrow.counts.new).toBe(3);
    await srs.updateReviewSettings('u1', { newCardsPerDay: 20, timezone: 'UTC' });
  });

  it('refuses settings outside their ranges with the field named', () => {
    const r = srs.reviewSettingsInput.safeParse({ desiredRetention: 0.6, timezone: 'Mars/Olympus' });
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => i.path.join('.')).sort()).toEqual(['desiredRetention', 'timezone']);
  });

  it('exports cards and the log as CSV and the cards as an Anki text file', async () => {
    // Read back with the same CSV library: fields with newlines and quotes must survive.
    const cards = Papa.parse<Record<string, string>>(await review.exportCardsCsv('u1'), { header: true });
    expect(cards.errors).toEqual([]);
    expect(cards.meta.fields).toEqual([
      'card_id',
      'type',
      'front',
      'back',
      'state',
      'due',
      'stability',
      'difficulty',
      'reps',
      'lapses',
      'last_review',
      'suspended',
      'leech',
      'introduced_at',
    ]);
    expect(cards.data.map((r) => r.card_id).sort()).toEqual([...cardIds].sort());
    const log = Papa.parse<Record<string, string>>(await review.exportReviewLogCsv('u1'), { header: true });
    expect(log.data.length).toBe(await getDb().reviewLog.count({ where: { userId: 'u1' } }));
    const anki = await review.exportAnkiText('u1');
    expect(anki.startsWith('#separator:tab\n#html:true\n#tags column:3\n')).toBe(true);
    const ankiRows = Papa.parse<string[]>(anki.split('\n').slice(3).join('\n'), { delimiter: '\t', skipEmptyLines: true });
    expect(ankiRows.errors).toEqual([]);
    expect(ankiRows.data.length).toBe(cardIds.length);
    expect(ankiRows.data.every((r) => r.length === 3 && r[2]?.startsWith('kernel-map '))).toBe(true);
  });

  it('computes stats in the learner’s days: calendar, forecast, retention, states, streak', async () => {
    const s = await srs.getReviewStats('u1', NOW);
    expect(s.today).toBe('2026-11-10');
    expect(s.calendar.at(-1)).toEqual({ date: '2026-11-10', count: expect.any(Number) });
    expect(s.calendar.at(-1)?.count).toBeGreaterThan(5);
    expect(s.forecast).toHaveLength(30);
    expect(s.streak).toBeGreaterThanOrEqual(1);
    expect(s.states.new + s.states.learning + s.states.review + s.states.relearning + s.states.suspended).toBe(cardIds.length);
  });
});

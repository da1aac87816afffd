import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Course } from '@/lib/content';
import { deployMigrations } from '../helpers/server';

// The modules under test read DATABASE_URL on first use: point it at a fresh SQLite file first.
const dir = mkdtempSync(path.join(tmpdir(), 'km-sync-'));
process.env.DATABASE_URL = `file:${path.join(dir, 'sync.db')}`;
const { loadCourse } = await import('@/lib/content');
const { syncCourse, markLessonRead, setCardIntroduction } = await import('@/lib/course');
const { introduceCards, queueSummary } = await import('@/lib/srs');
const { getDb, closeDb } = await import('@/lib/db');

const t = (s: string) => new Date(`2026-11-0${s}T10:00:00Z`);

describe('content sync into the database (lib/course)', () => {
  let course: Course;
  beforeAll(() => {
    deployMigrations(process.env.DATABASE_URL ?? '');
    course = loadCourse('content');
  });
  afterAll(async () => {
    await closeDb();
    rmSync(dir, { recursive: true, force: true });
  });

  it('inserts everything once and changes nothing on a second run', async () => {
    const first = await syncCourse(course, t('1'));
    expect(first.lessons.added).toBe(course.lessons.length);
    expect(first.cards.added).toBe(course.cards.length);
    const again = await syncCourse(course, t('2'));
    expect(again).toEqual({ lessons: { added: 0, updated: 0, retired: 0 }, cards: { added: 0, updated: 0, retired: 0, restored: 0 } });
  });

  it('keeps an edited card’s learner history, and retires (never deletes) a removed card', async () => {
    const db = getDb();
    const user = await db.user.create({ data: { id: 'u-sync', email: 'sync@example.test', name: 'Sync' } });
    const [edited, removed] = course.cards;
    if (!edited || !removed) throw new Error('the course needs at least two cards');
    expect(await introduceCards(user.id, [edited.id, removed.id], t('3'))).toBe(2);
    await db.reviewLog.create({
      data: {
        id: 'r1',
        clientReviewId: 'c1',
        userId: user.id,
        cardId: edited.id,
        rating: 3,
        state: 0,
        due: t('3'),
        stability: 1,
        difficulty: 5,
        elapsedDays: 0,
        scheduledDays: 1,
        reviewedAt: t('3'),
        previousCard: '{}',
      },
    });

    const changed: Course = {
      ...course,
      cards: course.cards.filter((c) => c.id !== removed.id).map((c) => (c.id === edited.id ? { ...c, contentHash: 'edited-now' } : c)),
    };
    const report = await syncCourse(changed, t('4'));
    expect(report.cards).toMatchObject({ updated: 1, retired: 1, added: 0 });

    expect(await db.cardState.findUnique({ where: { userId_cardId: { userId: user.id, cardId: edited.id } } })).not.toBeNull();
    expect(await db.reviewLog.count({ where: { cardId: edited.id } })).toBe(1);
    const retired = await db.card.findUnique({ where: { id: removed.id } });
    expect(retired?.retiredAt?.toISOString()).toBe(t('4').toISOString());
    // Its history stays, but it leaves the queue and cannot be introduced again.
    expect(await db.cardState.count({ where: { cardId: removed.id } })).toBe(1);
    expect((await queueSummary(user.id, t('5'))).inQueue).toBe(1);
    expect(await introduceCards(user.id, [removed.id], t('5'))).toBe(0);

    // Putting the card back restores it with the same id.
    expect((await syncCourse(course, t('6'))).cards).toMatchObject({ restored: 1, updated: 1 });
    expect((await queueSummary(user.id, t('7'))).inQueue).toBe(2);
  });

  it('introduces a lesson’s cards when it is marked read, once, and all cards on request', async () => {
    const db = getDb();
    const user = await db.user.create({ data: { id: 'u-read', email: 'read@example.test', name: 'Reader' } });
    const lesson = course.lessons[1];
    if (!lesson) throw new Error('the course needs lessons');
    const own = course.cards.filter((c) => c.lesson.startsWith(`${lesson.id}#`)).length;
    const first = await markLessonRead(user.id, lesson.id, t('3'));
    expect(first.introduced).toBe(own);
    const second = await markLessonRead(user.id, lesson.id, t('4'));
    expect(second).toEqual({ readAt: t('3'), introduced: 0 });
    const all = await setCardIntroduction(user.id, 'all', t('5'));
    expect(all.introduced).toBe(course.cards.length - own);
    expect((await queueSummary(user.id, t('5'))).inQueue).toBe(course.cards.length);
  });
});

import path from 'node:path';
import { z } from 'zod';
import { type Course, type Lesson, loadCourse, renderMarkdown } from '@/lib/content';
import { getDb } from '@/lib/db';
import { AppError } from '@/lib/errors';
import { splitLessonRef } from '@/lib/schema';
import { introduceCards, queueSummary } from '@/lib/srs';

/**
 * The course as learners meet it: content files (lib/content) joined with each learner's progress
 * in the database. Content is loaded once per process from `content/` and synced into the Lesson
 * and Card tables at start (`syncCourse`), so progress and FSRS history can reference stable ids.
 */

const CONTENT_ROOT = path.resolve('content');
const globalForCourse = globalThis as unknown as { kernelMapCourse?: Course };

/** The loaded course (cached for the life of the process; content changes need a restart). */
export function getCourse(): Course {
  globalForCourse.kernelMapCourse ??= loadCourse(CONTENT_ROOT);
  return globalForCourse.kernelMapCourse;
}

export interface SyncReport {
  lessons: { added: number; updated: number; retired: number };
  cards: { added: number; updated: number; retired: number; restored: number };
}

/**
 * Mirrors the course into the database, idempotently: new lessons and cards are inserted, edited
 * ones updated in place (same id, so a card keeps its learners' FSRS history), and ones no longer
 * in the files are retired — never deleted — so their history stays and they leave every queue.
 */
export async function syncCourse(course: Course, now: Date): Promise<SyncReport> {
  const db = getDb();
  const report: SyncReport = { lessons: { added: 0, updated: 0, retired: 0 }, cards: { added: 0, updated: 0, retired: 0, restored: 0 } };
  const partOf = new Map(course.lessons.map((l) => [l.id, l.part]));

  const lessons = new Map((await db.lesson.findMany()).map((l) => [l.id, l]));
  for (const [position, l] of course.lessons.entries()) {
    const row = lessons.get(l.id);
    const data = { partId: l.part, title: l.title, position, contentHash: l.contentHash, retiredAt: null };
    if (!row) {
      await db.lesson.create({ data: { id: l.id, ...data } });
      report.lessons.added += 1;
    } else if (row.contentHash !== l.contentHash || row.position !== position || row.retiredAt !== null || row.title !== l.title) {
      await db.lesson.update({ where: { id: l.id }, data });
      report.lessons.updated += 1;
    }
  }
  const liveLessons = new Set(course.lessons.map((l) => l.id));
  const goneLessons = [...lessons.values()].filter((l) => !liveLessons.has(l.id) && l.retiredAt === null).map((l) => l.id);
  if (goneLessons.length > 0) {
    report.lessons.retired = (await db.lesson.updateMany({ where: { id: { in: goneLessons } }, data: { retiredAt: now } })).count;
  }

  const cards = new Map((await db.card.findMany()).map((c) => [c.id, c]));
  for (const c of course.cards) {
    const { lessonId, anchor } = splitLessonRef(c.lesson);
    const row = cards.get(c.id);
    const data = {
      partId: partOf.get(lessonId) ?? c.part,
      sectionId: c.section,
      lessonId,
      anchor,
      type: c.type,
      contentHash: c.contentHash,
      retiredAt: null,
    };
    if (!row) {
      await db.card.create({ data: { id: c.id, ...data } });
      report.cards.added += 1;
    } else if (row.contentHash !== c.contentHash || row.retiredAt !== null || row.lessonId !== lessonId || row.anchor !== anchor) {
      if (row.retiredAt !== null) report.cards.restored += 1;
      else report.cards.updated += 1;
      await db.card.update({ where: { id: c.id }, data });
    }
  }
  const liveCards = new Set(course.cards.map((c) => c.id));
  const goneCards = [...cards.values()].filter((c) => !liveCards.has(c.id) && c.retiredAt === null).map((c) => c.id);
  if (goneCards.length > 0) {
    report.cards.retired = (await db.card.updateMany({ where: { id: { in: goneCards } }, data: { retiredAt: now } })).count;
  }
  return report;
}

// ── Learner settings ────────────────────────────────────────────────────────────────────────

export const cardIntroductionSchema = z.enum(['on-read', 'all']);
export type CardIntroduction = z.infer<typeof cardIntroductionSchema>;

export const learnerSettingsInput = z.strictObject({
  cardIntroduction: cardIntroductionSchema,
});

export async function getCardIntroduction(userId: string): Promise<CardIntroduction> {
  const row = await getDb().userSettings.findUnique({ where: { userId } });
  const parsed = cardIntroductionSchema.safeParse(row?.cardIntroduction);
  return parsed.success ? parsed.data : 'on-read';
}

/**
 * Switches how cards join the learner's queue. Switching to 'all' introduces every active card
 * now; switching back to 'on-read' keeps the cards already in the queue (their history matters).
 */
export async function setCardIntroduction(userId: string, mode: CardIntroduction, now: Date): Promise<{ introduced: number }> {
  const db = getDb();
  await db.userSettings.upsert({ where: { userId }, create: { userId, cardIntroduction: mode }, update: { cardIntroduction: mode } });
  if (mode !== 'all') return { introduced: 0 };
  const all = await db.card.findMany({ where: { retiredAt: null }, select: { id: true } });
  return {
    introduced: await introduceCards(
      userId,
      all.map((c) => c.id),
      now,
    ),
  };
}

// ── Reading ─────────────────────────────────────────────────────────────────────────────────

export interface LessonListItem {
  id: string;
  title: string;
  summary: string;
  minutes: number;
  read: boolean;
  cards: number;
}

export interface PartOverview {
  id: string;
  title: string;
  summary: string;
  lessons: LessonListItem[];
  read: number;
}

/** The Learn page: every part with its lessons and this learner's reading progress. */
export async function getLearnOverview(userId: string): Promise<PartOverview[]> {
  const course = getCourse();
  const read = new Set((await getDb().lessonProgress.findMany({ where: { userId }, select: { lessonId: true } })).map((r) => r.lessonId));
  const cardsPerLesson = countCardsPerLesson(course);
  return course.parts.map((p) => {
    const lessons = course.lessons
      .filter((l) => l.part === p.id)
      .map((l) => ({
        id: l.id,
        title: l.title,
        summary: l.summary,
        minutes: l.minutes,
        read: read.has(l.id),
        cards: cardsPerLesson.get(l.id) ?? 0,
      }));
    return { id: p.id, title: p.title, summary: p.summary, lessons, read: lessons.filter((l) => l.read).length };
  });
}

function countCardsPerLesson(course: Course): Map<string, number> {
  const m = new Map<string, number>();
  for (const c of course.cards) {
    const id = splitLessonRef(c.lesson).lessonId;
    m.set(id, (m.get(id) ?? 0) + 1);
  }
  return m;
}

export interface LessonForReader {
  lesson: Lesson;
  partTitle: string;
  html: string;
  toc: { anchor: string; text: string; depth: number }[];
  readAt: Date | null;
  cardCount: number;
  cardsInQueue: number;
  cardIntroduction: CardIntroduction;
  previous: { id: string; title: string } | null;
  next: { id: string; title: string } | null;
}

/** One lesson, rendered, with the learner's state. Throws not_found for unknown ids. */
export async function getLessonForReader(userId: string, lessonId: string): Promise<LessonForReader> {
  const course = getCourse();
  const index = course.lessons.findIndex((l) => l.id === lessonId);
  const lesson = course.lessons[index];
  if (!lesson) throw new AppError('not_found', `There is no lesson "${lessonId}".`);
  const db = getDb();
  const [progress, cardsInQueue, cardIntroduction] = await Promise.all([
    db.lessonProgress.findUnique({ where: { userId_lessonId: { userId, lessonId } } }),
    db.cardState.count({ where: { userId, card: { lessonId, retiredAt: null } } }),
    getCardIntroduction(userId),
  ]);
  const prev = course.lessons[index - 1];
  const next = course.lessons[index + 1];
  return {
    lesson,
    partTitle: course.parts.find((p) => p.id === lesson.part)?.title ?? '',
    html: renderLessonHtml(lesson),
    toc: lesson.headings.filter((h) => h.depth === 2).map((h) => ({ anchor: h.anchor, text: h.text, depth: h.depth })),
    readAt: progress?.readAt ?? null,
    cardCount: countCardsPerLesson(course).get(lessonId) ?? 0,
    cardsInQueue,
    cardIntroduction,
    previous: prev ? { id: prev.id, title: prev.title } : null,
    next: next ? { id: next.id, title: next.title } : null,
  };
}

const renderCache = new Map<string, string>();
function renderLessonHtml(lesson: Lesson): string {
  const key = `${lesson.id}:${lesson.contentHash}`;
  let html = renderCache.get(key);
  if (html === undefined) {
    html = renderMarkdown(lesson.body);
    renderCache.set(key, html);
  }
  return html;
}

/**
 * Marks a lesson read (idempotent: the first read time is kept). With the 'on-read' setting the
 * lesson's cards join the review queue in the same step. Returns how many cards joined.
 */
export async function markLessonRead(userId: string, lessonId: string, now: Date): Promise<{ readAt: Date; introduced: number }> {
  const course = getCourse();
  if (!course.lessons.some((l) => l.id === lessonId)) throw new AppError('not_found', `There is no lesson "${lessonId}".`);
  const db = getDb();
  const existing = await db.lessonProgress.findUnique({ where: { userId_lessonId: { userId, lessonId } } });
  const readAt = existing?.readAt ?? now;
  if (!existing) await db.lessonProgress.create({ data: { userId, lessonId, readAt: now } });
  let introduced = 0;
  if ((await getCardIntroduction(userId)) === 'on-read') {
    const ids = course.cards.filter((c) => splitLessonRef(c.lesson).lessonId === lessonId).map((c) => c.id);
    introduced = await introduceCards(userId, ids, now);
  }
  return { readAt, introduced };
}

/** Review page data until review itself exists: what is in the queue, grouped by lesson. */
export async function getQueueOverview(userId: string, now: Date) {
  const course = getCourse();
  const summary = await queueSummary(userId, now);
  const lessons = course.lessons
    .filter((l) => (summary.byLesson[l.id] ?? 0) > 0)
    .map((l) => ({ id: l.id, title: l.title, cards: summary.byLesson[l.id] ?? 0 }));
  return { ...summary, lessons };
}

/** The first lesson, in course order, that the learner has not marked read (null when all are). */
export async function nextUnreadLesson(userId: string): Promise<{ id: string; title: string } | null> {
  const read = new Set((await getDb().lessonProgress.findMany({ where: { userId }, select: { lessonId: true } })).map((r) => r.lessonId));
  const next = getCourse().lessons.find((l) => !read.has(l.id));
  return next ? { id: next.id, title: next.title } : null;
}

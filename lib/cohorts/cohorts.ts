import { randomBytes, randomInt } from 'node:crypto';
import { z } from 'zod';
import { canManageCohort, type Viewer } from '@/lib/auth';
import { labCatalog } from '@/lib/content';
import { getCourse } from '@/lib/course';
import { type DbClient, getDb, isUniqueViolation } from '@/lib/db';
import { AppError } from '@/lib/errors';
import { LAB_GRADERS } from '@/lib/grader';
import { DAY_MS, type GradedItemSpec, type GradedKind, type LateRule } from './rules';

/**
 * Cohorts as instructors run them: create and edit (dates, graded items, late rule), the join
 * code (rotate, expire), members (list, remove), and learners joining with a code. Every function
 * that takes a cohort id checks `canManageCohort` itself — the route's permission only says
 * "instructor or admin".
 */

// ── Ids and codes ────────────────────────────────────────────────────────────────────────────

export const CohortIdSchema = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'malformed cohort id');
export { UserIdSchema } from '@/lib/schema';

/** Join-code letters: no 0/O, 1/I/L, so a code read aloud or off a slide is typed right. */
const CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
const CODE_LENGTH = 8;

/** A fresh join code: 8 letters from a 31-letter alphabet (≈ 8.5 × 10¹¹ codes), from the OS's CSPRNG. */
export function newJoinCode(): string {
  let code = '';
  for (let i = 0; i < CODE_LENGTH; i += 1) code += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
  return code;
}

/** What a learner typed, as stored: upper case, without spaces or dashes ("abcd-efgh" → "ABCDEFGH"). */
export const JoinCodeSchema = z
  .string()
  .transform((s) => s.replace(/[\s-]/g, '').toUpperCase())
  .pipe(z.string().regex(/^[A-Z0-9]{8}$/, 'a join code is 8 letters and digits, e.g. ABCD-EFGH'));

/** ABCDEFGH → ABCD-EFGH, as shown. */
export function formatJoinCode(code: string): string {
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}

// ── What can be graded ───────────────────────────────────────────────────────────────────────

export interface GradableItem {
  kind: GradedKind;
  itemId: string;
  title: string;
  /** Course part the item belongs to (for the class view). */
  partId: string;
}

/** Labs with a grader, and every quiz, in course order. */
export function gradableItems(): GradableItem[] {
  const course = getCourse();
  const partOfLesson = new Map(course.lessons.map((l) => [l.id, l.part]));
  const labs = labCatalog()
    .filter((l) => LAB_GRADERS.has(l.id))
    .map((l) => ({
      kind: 'lab' as const,
      itemId: l.id,
      title: l.title,
      partId: partOfLesson.get(l.lessons[0]?.split('#')[0] ?? '') ?? '',
    }));
  const quizzes = course.quizzes.map((q) => ({ kind: 'quiz' as const, itemId: q.id, title: q.title, partId: q.part }));
  return [...labs, ...quizzes];
}

function titleOf(kind: GradedKind, itemId: string): string {
  return gradableItems().find((g) => g.kind === kind && g.itemId === itemId)?.title ?? itemId;
}

// ── Input ────────────────────────────────────────────────────────────────────────────────────

const isoDate = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time' }).transform((s) => new Date(s));

export const cohortInput = z
  .strictObject({
    name: z.string().trim().min(1, 'Enter a name').max(80, 'Use at most 80 characters'),
    startsAt: isoDate,
    endsAt: isoDate,
    latePenaltyPerDay: z.number().int().min(0, 'must be 0–100').max(100, 'must be 0–100'),
    latePenaltyMax: z.number().int().min(0, 'must be 0–100').max(100, 'must be 0–100'),
    items: z
      .array(
        z.strictObject({
          kind: z.enum(['lab', 'quiz']),
          itemId: z.string().regex(/^[a-z0-9-]{1,48}$/, 'must be a lab or quiz id'),
          points: z.number().int().min(1, 'must be 1–1000').max(1000, 'must be 1–1000'),
          dueAt: isoDate,
        }),
      )
      .max(60, 'at most 60 graded items'),
  })
  .superRefine((v, ctx) => {
    if (v.endsAt.getTime() <= v.startsAt.getTime()) ctx.addIssue({ code: 'custom', path: ['endsAt'], message: 'must be after the start' });
    const known = new Set(gradableItems().map((g) => `${g.kind}:${g.itemId}`));
    const seen = new Set<string>();
    v.items.forEach((item, i) => {
      const key = `${item.kind}:${item.itemId}`;
      if (!known.has(key))
        ctx.addIssue({ code: 'custom', path: ['items', i, 'itemId'], message: `there is no graded ${item.kind} "${item.itemId}"` });
      if (seen.has(key)) ctx.addIssue({ code: 'custom', path: ['items', i, 'itemId'], message: 'is listed twice' });
      seen.add(key);
    });
  });
export type CohortInput = z.output<typeof cohortInput>;

export const joinCodeDaysSchema = z.number().int().min(1, 'must be 1–365 days').max(365, 'must be 1–365 days');

// ── Views ────────────────────────────────────────────────────────────────────────────────────

export interface CohortSummary {
  id: string;
  name: string;
  ownerName: string;
  startsAt: string;
  endsAt: string;
  members: number;
  items: number;
}

export interface CohortDetail {
  id: string;
  name: string;
  ownerId: string;
  ownerName: string;
  startsAt: string;
  endsAt: string;
  lateRule: LateRule;
  joinCode: string;
  joinCodeExpiresAt: string;
  items: (GradedItemSpec & { dueAt: Date })[];
  members: { userId: string; name: string; email: string; joinedAt: string }[];
}

type CohortRow = {
  id: string;
  name: string;
  ownerId: string;
  startsAt: Date;
  endsAt: Date;
  latePenaltyPerDay: number;
  latePenaltyMax: number;
  joinCode: string;
  joinCodeExpiresAt: Date;
  owner: { name: string };
  items: { kind: string; itemId: string; points: number; dueAt: Date; position: number }[];
};

export function itemSpecs(items: CohortRow['items']): GradedItemSpec[] {
  return [...items]
    .sort((a, b) => a.position - b.position)
    .map((i) => {
      const kind: GradedKind = i.kind === 'quiz' ? 'quiz' : 'lab';
      return { kind, itemId: i.itemId, title: titleOf(kind, i.itemId), points: i.points, dueAt: i.dueAt };
    });
}

const cohortInclude = {
  owner: { select: { name: true } },
  items: { select: { kind: true, itemId: true, points: true, dueAt: true, position: true } },
} as const;

/**
 * The cohort if `viewer` may manage it; `not_found` otherwise (also for another instructor's
 * cohort: its existence is not theirs to learn).
 */
export async function findManagedCohort(viewer: Viewer, cohortId: string, db: DbClient = getDb()): Promise<CohortRow> {
  const row = await db.cohort.findUnique({ where: { id: cohortId }, include: cohortInclude });
  if (!row || !canManageCohort(viewer, row)) throw new AppError('not_found', 'There is no such cohort among yours.');
  return row;
}

/** The viewer's cohorts (an admin: every cohort), newest first. */
export async function listCohorts(viewer: Viewer): Promise<CohortSummary[]> {
  const rows = await getDb().cohort.findMany({
    where: viewer.role === 'admin' ? {} : { ownerId: viewer.id },
    orderBy: { createdAt: 'desc' },
    include: { owner: { select: { name: true } }, _count: { select: { enrollments: true, items: true } } },
  });
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    ownerName: r.owner.name,
    startsAt: r.startsAt.toISOString(),
    endsAt: r.endsAt.toISOString(),
    members: r._count.enrollments,
    items: r._count.items,
  }));
}

/** Settings, join code and members of a cohort the viewer manages. */
export async function getCohort(viewer: Viewer, cohortId: string): Promise<CohortDetail> {
  const row = await findManagedCohort(viewer, cohortId);
  const members = await getDb().enrollment.findMany({
    where: { cohortId },
    orderBy: [{ joinedAt: 'asc' }, { user: { name: 'asc' } }],
    select: { joinedAt: true, user: { select: { id: true, name: true, email: true } } },
  });
  return {
    id: row.id,
    name: row.name,
    ownerId: row.ownerId,
    ownerName: row.owner.name,
    startsAt: row.startsAt.toISOString(),
    endsAt: row.endsAt.toISOString(),
    lateRule: { perDay: row.latePenaltyPerDay, max: row.latePenaltyMax },
    joinCode: formatJoinCode(row.joinCode),
    joinCodeExpiresAt: row.joinCodeExpiresAt.toISOString(),
    items: itemSpecs(row.items),
    members: members.map((m) => ({ userId: m.user.id, name: m.user.name, email: m.user.email, joinedAt: m.joinedAt.toISOString() })),
  };
}

function itemRows(cohortId: string, items: CohortInput['items']) {
  return items.map((i, position) => ({
    id: randomBytes(12).toString('base64url'),
    cohortId,
    kind: i.kind,
    itemId: i.itemId,
    points: i.points,
    dueAt: i.dueAt,
    position,
  }));
}

/** Creates a cohort owned by `viewer` with a join code valid for `joinCodeDays` days. */
export async function createCohort(viewer: Viewer, input: CohortInput, joinCodeDays: number, now: Date): Promise<CohortDetail> {
  const id = randomBytes(12).toString('base64url');
  for (let tries = 0; ; tries += 1) {
    try {
      await getDb().$transaction(async (tx) => {
        await tx.cohort.create({
          data: {
            id,
            name: input.name,
            ownerId: viewer.id,
            startsAt: input.startsAt,
            endsAt: input.endsAt,
            latePenaltyPerDay: input.latePenaltyPerDay,
            latePenaltyMax: input.latePenaltyMax,
            joinCode: newJoinCode(),
            joinCodeExpiresAt: new Date(now.getTime() + joinCodeDays * DAY_MS),
          },
        });
        if (input.items.length > 0) await tx.cohortGradedItem.createMany({ data: itemRows(id, input.items) });
      });
      break;
    } catch (err) {
      // A join-code collision (one in ~10¹¹ per existing cohort): draw again.
      if (!isUniqueViolation(err) || tries >= 3) throw err;
    }
  }
  return getCohort(viewer, id);
}

/** Replaces a cohort's settings and graded items (the join code and members stay). */
export async function updateCohort(viewer: Viewer, cohortId: string, input: CohortInput): Promise<CohortDetail> {
  await getDb().$transaction(async (tx) => {
    await findManagedCohort(viewer, cohortId, tx);
    await tx.cohort.update({
      where: { id: cohortId },
      data: {
        name: input.name,
        startsAt: input.startsAt,
        endsAt: input.endsAt,
        latePenaltyPerDay: input.latePenaltyPerDay,
        latePenaltyMax: input.latePenaltyMax,
      },
    });
    await tx.cohortGradedItem.deleteMany({ where: { cohortId } });
    if (input.items.length > 0) await tx.cohortGradedItem.createMany({ data: itemRows(cohortId, input.items) });
  });
  return getCohort(viewer, cohortId);
}

/** A new join code valid for `days` days; the old one stops working at once. */
export async function rotateJoinCode(
  viewer: Viewer,
  cohortId: string,
  days: number,
  now: Date,
): Promise<{ joinCode: string; joinCodeExpiresAt: string }> {
  await findManagedCohort(viewer, cohortId);
  for (let tries = 0; ; tries += 1) {
    try {
      const row = await getDb().cohort.update({
        where: { id: cohortId },
        data: { joinCode: newJoinCode(), joinCodeExpiresAt: new Date(now.getTime() + days * DAY_MS) },
      });
      return { joinCode: formatJoinCode(row.joinCode), joinCodeExpiresAt: row.joinCodeExpiresAt.toISOString() };
    } catch (err) {
      if (!isUniqueViolation(err) || tries >= 3) throw err;
    }
  }
}

/** Takes a learner out of a cohort (their own progress stays theirs). 404 when they are not in it. */
export async function removeMember(viewer: Viewer, cohortId: string, userId: string): Promise<{ removed: true }> {
  await findManagedCohort(viewer, cohortId);
  const r = await getDb().enrollment.deleteMany({ where: { cohortId, userId } });
  if (r.count === 0) throw new AppError('not_found', 'This learner is not in the cohort.');
  return { removed: true };
}

/**
 * Joins the cohort whose current code is `code`. Joining again is a no-op. An unknown or
 * expired code is a 422 on `code` saying which.
 */
export async function joinCohort(
  userId: string,
  code: string,
  now: Date,
): Promise<{ cohortId: string; name: string; alreadyMember: boolean }> {
  const db = getDb();
  const cohort = await db.cohort.findUnique({ where: { joinCode: code }, select: { id: true, name: true, joinCodeExpiresAt: true } });
  if (!cohort)
    throw new AppError('invalid_input', 'No cohort has this join code. Check it with your instructor.', {
      fields: [{ path: 'code', message: 'unknown code' }],
    });
  if (cohort.joinCodeExpiresAt.getTime() <= now.getTime()) {
    throw new AppError('invalid_input', 'This join code has expired. Ask your instructor for the new one.', {
      fields: [{ path: 'code', message: 'expired' }],
    });
  }
  try {
    const existing = await db.enrollment.findUnique({ where: { cohortId_userId: { cohortId: cohort.id, userId } } });
    if (existing) return { cohortId: cohort.id, name: cohort.name, alreadyMember: true };
    await db.enrollment.create({ data: { cohortId: cohort.id, userId, joinedAt: now } });
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    return { cohortId: cohort.id, name: cohort.name, alreadyMember: true };
  }
  return { cohortId: cohort.id, name: cohort.name, alreadyMember: false };
}

export interface MyCohort {
  id: string;
  name: string;
  instructor: string;
  startsAt: string;
  endsAt: string;
  joinedAt: string;
  items: { kind: GradedKind; title: string; points: number; dueAt: string }[];
}

/** The cohorts a learner is in, with what is graded and when it is due (nothing about other members). */
export async function listMyCohorts(userId: string): Promise<MyCohort[]> {
  const rows = await getDb().enrollment.findMany({
    where: { userId },
    orderBy: { joinedAt: 'desc' },
    select: { joinedAt: true, cohort: { include: cohortInclude } },
  });
  return rows.map(({ joinedAt, cohort }) => ({
    id: cohort.id,
    name: cohort.name,
    instructor: cohort.owner.name,
    startsAt: cohort.startsAt.toISOString(),
    endsAt: cohort.endsAt.toISOString(),
    joinedAt: joinedAt.toISOString(),
    items: itemSpecs(cohort.items).map((i) => ({ kind: i.kind, title: i.title, points: i.points, dueAt: i.dueAt.toISOString() })),
  }));
}

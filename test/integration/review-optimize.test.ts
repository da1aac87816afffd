import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployMigrations } from '../helpers/server';

// Parameter optimisation with @open-spaced-repetition/binding on a real SQLite file.
const dir = mkdtempSync(path.join(tmpdir(), 'km-optimise-'));
process.env.DATABASE_URL = `file:${path.join(dir, 'optimise.db')}`;
const { loadCourse } = await import('@/lib/content');
const { syncCourse } = await import('@/lib/course');
const srs = await import('@/lib/srs');
const { optimiseParameters, applyParameters, MIN_REVIEWS_FOR_OPTIMISATION } = await import('@/lib/srs/optimize');
const { getDb, closeDb } = await import('@/lib/db');
const { AppError } = await import('@/lib/errors');
const { seedHistory } = await import('../../scripts/review-load');

const NOW = new Date('2026-11-10T10:00:00.000Z');

describe('FSRS parameter optimisation (lib/srs/optimize)', () => {
  beforeAll(async () => {
    deployMigrations(process.env.DATABASE_URL ?? '');
    await syncCourse(loadCourse('content'), new Date('2026-08-01T00:00:00Z'));
    const db = getDb();
    await db.user.create({ data: { id: 'few', email: 'few@example.test', name: 'Few' } });
    await db.user.create({ data: { id: 'many', email: 'many@example.test', name: 'Many' } });
    await seedHistory(db, [{ id: 'many', http: undefined as never, cardIds: [] }], NOW, 300, 90);
  });
  afterAll(async () => {
    await closeDb();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses below the minimum number of reviews, saying how many there are', async () => {
    const err = await optimiseParameters('few').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as InstanceType<typeof AppError>).code).toBe('conflict');
    expect((err as InstanceType<typeof AppError>).message).toContain(`at least ${MIN_REVIEWS_FOR_OPTIMISATION} reviews`);
  });

  it('fits parameters from the review log with progress, scores before and after, and reschedules with them', async () => {
    const progress: { stage: string; done: number; total: number }[] = [];
    const r = await optimiseParameters('many', (p) => progress.push(p));
    expect(r.reviews).toBeGreaterThan(MIN_REVIEWS_FOR_OPTIMISATION);
    expect(r.parameters.length).toBeGreaterThanOrEqual(19);
    expect(r.parameters.every(Number.isFinite)).toBe(true);
    for (const e of [r.before, r.after]) {
      expect(e.logLoss).toBeGreaterThan(0);
      expect(e.rmse).toBeGreaterThanOrEqual(0);
    }
    // Fitted on the same items it is scored on: it must not be worse than where it started.
    expect(r.after.logLoss).toBeLessThanOrEqual(r.before.logLoss + 1e-3);
    // Every step is reported, in order; training reports (when the fit lasts long enough to
    // give any) fall inside the fitting step and never go past their total.
    const stages = progress.map((p) => p.stage).filter((st, i, all) => all[i - 1] !== st);
    expect(stages).toEqual(['reading', 'fitting', 'scoring']);
    for (const p of progress) expect(p.done).toBeLessThanOrEqual(p.total);

    const db = getDb();
    const before = await db.cardState.findMany({ where: { userId: 'many' }, orderBy: { cardId: 'asc' } });
    const applied = await applyParameters('many', r.parameters, true);
    expect(applied.rescheduled).toBe(300);
    expect((await srs.getReviewSettings('many')).fsrsParameters).toEqual(r.parameters);
    const after = await db.cardState.findMany({ where: { userId: 'many' }, orderBy: { cardId: 'asc' } });
    expect(after.map((a) => a.reps)).toEqual(before.map((b) => b.reps));
    expect(after.filter((a, i) => a.stability !== before[i]?.stability).length).toBeGreaterThan(0);
  }, 240_000);
});

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createDb, type Db } from '@/lib/db';
import { runPrisma } from '@/scripts/db-cli';

/**
 * The embedded database end to end: migrations applied by the Prisma CLI through the stand-in
 * schema engine (prisma/engine), then the app's client with its PRAGMAs.
 */
describe('SQLite', () => {
  let dir: string;
  let url: string;
  const clients: Db[] = [];
  const open = (): Db => {
    const db = createDb(url);
    clients.push(db);
    return db;
  };

  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'km-sqlite-'));
    // A folder that does not exist yet: deploy must create it.
    url = `file:${path.join(dir, 'nested', 'kernel-map.db')}`;
  });

  afterAll(async () => {
    for (const db of clients) await db.$disconnect();
    rmSync(dir, { recursive: true, force: true });
  });

  test('migrate status on an empty database reports pending migrations and writes nothing', () => {
    // Regression: the Wasm engine needs _prisma_migrations to exist; the stand-in creates it to
    // answer, and must not leave it behind for a read-only command.
    const file = path.join(dir, 'empty.db');
    writeFileSync(file, '');
    const status = runPrisma(['migrate', 'status'], { databaseUrl: `file:${file}`, capture: true });
    expect(status.code).toBe(1);
    expect(status.stdout).toContain('have not yet been applied');
    const raw = new Database(file, { readonly: true });
    try {
      expect(raw.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all()).toEqual([]);
    } finally {
      raw.close();
    }
  });

  test('db:deploy applies every migration to a new file', () => {
    const run = runPrisma(['migrate', 'deploy'], { databaseUrl: url, capture: true });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain('All migrations have been successfully applied');
    const status = runPrisma(['migrate', 'status'], { databaseUrl: url, capture: true });
    expect(status.code, status.stdout + status.stderr).toBe(0);
    expect(status.stdout).toContain('Database schema is up to date');
  });

  // synchronous NORMAL: the adapter itself fdatasyncs the WAL after each commit, off the event
  // loop, before the write resolves (group commit, lib/db durableWrites) — as durable as FULL.
  test('PRAGMAs: WAL, synchronous NORMAL (the adapter syncs commits), foreign keys on, busy timeout', async () => {
    const db = open();
    const [journal] = await db.$queryRawUnsafe<{ journal_mode: string }[]>('PRAGMA journal_mode');
    const [sync] = await db.$queryRawUnsafe<{ synchronous: bigint }[]>('PRAGMA synchronous');
    const [fk] = await db.$queryRawUnsafe<{ foreign_keys: bigint }[]>('PRAGMA foreign_keys');
    const [busy] = await db.$queryRawUnsafe<{ timeout: bigint }[]>('PRAGMA busy_timeout');
    expect(journal?.journal_mode).toBe('wal');
    expect(Number(sync?.synchronous)).toBe(1); // NORMAL
    expect(Number(fk?.foreign_keys)).toBe(1);
    expect(Number(busy?.timeout)).toBe(5000);
  });

  test('a user round-trips, and a fresh connection sees the write', async () => {
    const db = open();
    const created = await db.user.create({ data: { id: 'u-sqlite', email: 'ada@example.test', name: 'Ada' } });
    expect(created.role).toBe('student');
    expect(await db.user.findUnique({ where: { email: 'ada@example.test' } })).toMatchObject({ id: 'u-sqlite', name: 'Ada' });

    const fresh = open();
    expect(await fresh.user.findUnique({ where: { id: 'u-sqlite' } })).toMatchObject({ email: 'ada@example.test' });
  });

  test('foreign keys are enforced', async () => {
    const db = open();
    await expect(
      db.session.create({ data: { id: 's1', token: 't1', userId: 'nobody', expiresAt: new Date('2030-01-01T00:00:00Z') } }),
    ).rejects.toThrow();
  });

  test("a transaction that rolls back takes no other request's write with it", async () => {
    const db = open();
    const lesson = (id: string) => ({ id, partId: 'p1', title: id, position: 1, contentHash: 'h' });
    let inside = () => {};
    const started = new Promise<void>((resolve) => {
      inside = resolve;
    });
    const failing = db.$transaction(async (tx) => {
      await tx.lesson.create({ data: lesson('tx-lesson') });
      inside();
      await new Promise((r) => setTimeout(r, 100));
      throw new Error('the transaction fails');
    });
    await started;
    // Another request's write, outside the transaction, while it is open.
    const other = db.lesson.create({ data: lesson('other-lesson') });
    await expect(failing).rejects.toThrow('the transaction fails');
    await other;
    expect(await db.lesson.findUnique({ where: { id: 'other-lesson' } })).toMatchObject({ id: 'other-lesson' });
    expect(await db.lesson.findUnique({ where: { id: 'tx-lesson' } })).toBeNull();
    // …and a read from outside never sees the open transaction's uncommitted row.
    let seen: unknown = 'not read';
    await db.$transaction(async (tx) => {
      await tx.lesson.create({ data: lesson('uncommitted') });
      seen = await Promise.race([
        db.lesson.findUnique({ where: { id: 'uncommitted' } }),
        new Promise((r) => setTimeout(() => r('waited'), 50)),
      ]);
    });
    expect(seen).toBe('waited');
  });

  test('db:reset empties the database and re-applies the migrations', async () => {
    for (const db of clients.splice(0)) await db.$disconnect();
    const run = runPrisma(['migrate', 'reset', '--force'], { databaseUrl: url, capture: true });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(await open().user.count()).toBe(0);
  });
});

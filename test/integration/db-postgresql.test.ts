import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createDb, type Db } from '@/lib/db';
import { runPrisma } from '@/scripts/db-cli';

/**
 * PostgreSQL end to end, on a throwaway database (random name) on the server at TEST_POSTGRES_URL:
 * migrations applied by the Prisma CLI through the stand-in schema engine, checked against the
 * PostgreSQL schema, then the app's client.
 *
 * No server: the tests are skipped with the reason, except when CI=true, where they fail (CI must
 * prove the PostgreSQL path).
 */
const SERVER_URL = process.env.TEST_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

function redacted(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

async function probe(url: string): Promise<string | null> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  } finally {
    await client.end().catch(() => {});
  }
}

const unreachable = await probe(SERVER_URL);

if (unreachable !== null && process.env.CI === 'true') {
  test('PostgreSQL server is reachable (required when CI=true)', () => {
    throw new Error(`No PostgreSQL at ${redacted(SERVER_URL)}: ${unreachable}. Set TEST_POSTGRES_URL.`);
  });
} else if (unreachable !== null) {
  console.warn(`db-postgresql: skipped, no PostgreSQL at ${redacted(SERVER_URL)} (${unreachable})`);
  test.skip(`PostgreSQL: skipped, no server at ${redacted(SERVER_URL)} (${unreachable}); set TEST_POSTGRES_URL`, () => {});
} else {
  describe('PostgreSQL', () => {
    const name = `km_test_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: SERVER_URL });
    let url: string;
    const clients: Db[] = [];
    const open = (): Db => {
      const db = createDb(url);
      clients.push(db);
      return db;
    };

    beforeAll(async () => {
      await admin.connect();
      await admin.query(`CREATE DATABASE "${name}"`);
      const u = new URL(SERVER_URL);
      u.pathname = `/${name}`;
      url = u.toString();
    });

    afterAll(async () => {
      for (const db of clients) await db.$disconnect();
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.end();
    });

    test('db:deploy applies every migration', () => {
      const run = runPrisma(['migrate', 'deploy'], { databaseUrl: url, capture: true });
      expect(run.code, run.stdout + run.stderr).toBe(0);
      expect(run.stdout).toContain('All migrations have been successfully applied');
      const status = runPrisma(['migrate', 'status'], { databaseUrl: url, capture: true });
      expect(status.code, status.stdout + status.stderr).toBe(0);
      expect(status.stdout).toContain('Database schema is up to date');
    });

    // The exact counterpart of the SQLite check in test/unit/db-schema.test.ts: PostgreSQL
    // migrations must produce prisma/postgresql/schema.prisma, types, keys and indexes included.
    test('the deployed database is exactly prisma/postgresql/schema.prisma', () => {
      const run = runPrisma(
        ['migrate', 'diff', '--from-config-datasource', '--to-schema', 'prisma/postgresql/schema.prisma', '--exit-code'],
        { databaseUrl: url, capture: true },
      );
      expect(run.code, `PostgreSQL migrations drifted from the models:\n${run.stdout}${run.stderr}`).toBe(0);
    });

    test('migrations replayed on a shadow database match the schema', async () => {
      const run = runPrisma(
        [
          'migrate',
          'diff',
          '--from-migrations',
          'prisma/postgresql/migrations',
          '--to-schema',
          'prisma/postgresql/schema.prisma',
          '--exit-code',
        ],
        { databaseUrl: url, capture: true },
      );
      expect(run.code, run.stdout + run.stderr).toBe(0);
      expect(run.stdout).toContain('No difference detected');
    });

    test('a user round-trips, and a fresh connection sees the write', async () => {
      const db = open();
      const created = await db.user.create({ data: { id: 'u-pg', email: 'grace@example.test', name: 'Grace' } });
      expect(created.role).toBe('student');
      expect(await db.user.findUnique({ where: { email: 'grace@example.test' } })).toMatchObject({ id: 'u-pg' });

      const fresh = open();
      expect(await fresh.user.findUnique({ where: { id: 'u-pg' } })).toMatchObject({ name: 'Grace' });
    });

    test('db:reset empties the database and re-applies the migrations', async () => {
      for (const db of clients.splice(0)) await db.$disconnect();
      const run = runPrisma(['migrate', 'reset', '--force'], { databaseUrl: url, capture: true });
      expect(run.code, run.stdout + run.stderr).toBe(0);
      expect(await open().user.count()).toBe(0);
    });
  });
}

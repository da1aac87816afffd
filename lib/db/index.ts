/**
 * The database: one Prisma client per process, for the provider DATABASE_URL selects (the
 * embedded SQLite file by default, PostgreSQL for `postgresql://` URLs; rule in ./url.ts).
 *
 * Node-only, not `server-only`: scripts and tests use it too. Route handlers and pages reach it
 * through the query functions in lib/*, never directly (STYLE.md).
 *
 * Both generated clients come from the same models (prisma/models.prisma), so their model
 * delegates have the same shape; the app sees one type, `Db`, the SQLite client's. Features only
 * PostgreSQL has (e.g. `mode: 'insensitive'`) are therefore not in the type: keep queries portable.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';
import type { SqlDriverAdapter, SqlDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { PrismaClient as PostgresPrismaClient } from './generated/postgresql/client';
import { Prisma, PrismaClient as SqlitePrismaClient } from './generated/sqlite/client';
import { postgresPoolConfig } from './postgres';
import { type DatabaseTarget, type DbProvider, resolveDatabaseUrl } from './url';

export type * from './generated/sqlite/models';
export type { DatabaseTarget, DbProvider } from './url';
export { resolveDatabaseUrl } from './url';
export { Prisma };

/** The Prisma client type the app programs against, whichever provider runs underneath. */
export type Db = SqlitePrismaClient;

/** The client, or the one an interactive transaction hands its callback: what a query function may take. */
export type DbClient = Db | Prisma.TransactionClient;

/**
 * True for a unique-constraint violation (Prisma's P2002), e.g. a concurrent twin of an insert
 * that carries an idempotency key. Checked by code, not message text, and by shape, not class:
 * the two generated clients each have their own error class.
 */
export function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'P2002';
}

/**
 * Applied to every SQLite connection as it opens. WAL lets readers run during a write;
 * synchronous=FULL makes a committed review survive power loss (WAL's default, NORMAL, can drop
 * the last transactions); foreign_keys enforces the schema's relations (SQLite defaults it off);
 * busy_timeout waits for another process's write lock instead of failing at once.
 */
export const SQLITE_PRAGMAS = [
  'PRAGMA journal_mode = WAL',
  'PRAGMA synchronous = FULL',
  'PRAGMA foreign_keys = ON',
  'PRAGMA busy_timeout = 5000',
] as const;

/**
 * The better-sqlite3 adapter, with SQLITE_PRAGMAS run on each connection it opens (the adapter
 * has no hook of its own for this). Creates the file's folder on first use.
 */
function sqliteAdapter(file: string): SqlDriverAdapterFactory {
  const inner = new PrismaBetterSqlite3({ url: file, timeout: 5000 });
  return {
    provider: inner.provider,
    adapterName: inner.adapterName,
    async connect(): Promise<SqlDriverAdapter> {
      mkdirSync(path.dirname(file), { recursive: true });
      const connection = await inner.connect();
      await connection.executeScript(`${SQLITE_PRAGMAS.join(';\n')};`);
      return connection;
    },
  };
}

/**
 * A new client for `url` (a DATABASE_URL; `file:` or `postgresql://`). The caller owns it and
 * must `$disconnect()` it. For tests and tools; the app uses `getDb()`.
 *
 * @example
 *   const db = createDb(`file:${tmpFile}`);
 *   try { await db.user.count(); } finally { await db.$disconnect(); }
 */
export function createDb(url: string): Db {
  const target = resolveDatabaseUrl({ DATABASE_URL: url });
  return clientFor(target);
}

function clientFor(target: DatabaseTarget): Db {
  if (target.provider === 'sqlite') {
    return new SqlitePrismaClient({ adapter: sqliteAdapter(target.sqlitePath) });
  }
  const { pool, schema } = postgresPoolConfig(target.url);
  const client = new PostgresPrismaClient({ adapter: new PrismaPg(pool, { schema }) });
  // The one cast: both clients are generated from the same models (test/unit/db-schema.test.ts),
  // so the PostgreSQL client has every member of the SQLite one, plus a few PostgreSQL-only
  // query options that `Db` does not expose.
  return client as unknown as Db;
}

type DbGlobal = { kernelMapDb?: { client: Db; target: DatabaseTarget } };
// On globalThis so that Next's dev-mode module reloads reuse the client instead of opening a
// new pool (or SQLite handle) on every edit.
const holder = globalThis as typeof globalThis & DbGlobal;

function current(): { client: Db; target: DatabaseTarget } {
  if (!holder.kernelMapDb) {
    const target = resolveDatabaseUrl(process.env);
    holder.kernelMapDb = { client: clientFor(target), target };
  }
  return holder.kernelMapDb;
}

/**
 * The process-wide client for the configured database (DATABASE_URL, read on first call).
 * Connects lazily, on the first query.
 */
export function getDb(): Db {
  return current().client;
}

/** Which provider `getDb()` talks to. */
export function dbProvider(): DbProvider {
  return current().target.provider;
}

/** Disconnects the process-wide client; the next `getDb()` makes a new one. For shutdown and tests. */
export async function closeDb(): Promise<void> {
  const open = holder.kernelMapDb;
  holder.kernelMapDb = undefined;
  await open?.client.$disconnect();
}

/**
 * Resolves when the configured database answers a trivial query within `timeoutMs`; otherwise
 * throws an Error whose message says why (unreachable, timed out, missing file…). For the health
 * check.
 */
export async function pingDb(timeoutMs = 3000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([getDb().$queryRawUnsafe('SELECT 1'), timeout]);
  } catch (err) {
    throw new Error(`${dbProvider()}: ${err instanceof Error ? err.message.trim() : String(err)}`, { cause: err });
  } finally {
    clearTimeout(timer);
  }
}

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
import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdirSync } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
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
 * foreign_keys enforces the schema's relations (SQLite defaults it off); busy_timeout waits for
 * another process's write lock instead of failing at once. synchronous=NORMAL only because the
 * adapter below makes every write durable itself, off the event loop (`durableWrites`): with
 * FULL, better-sqlite3 would fsync the WAL on the one JavaScript thread at every commit (2–25 ms
 * on a VM disk) and every other request would wait for it.
 */
export const SQLITE_PRAGMAS = [
  'PRAGMA journal_mode = WAL',
  'PRAGMA synchronous = NORMAL',
  'PRAGMA foreign_keys = ON',
  'PRAGMA busy_timeout = 5000',
] as const;

const queryCounter = new AsyncLocalStorage<{ n: number }>();

/**
 * Runs `fn` and counts the SQL statements it sends to the database (every query and command the
 * driver adapter runs for it, transactions included). For benchmarks and tests that hold a code
 * path to a bounded number of queries; costs nothing when not measuring.
 *
 * @example
 *   const { result, queries } = await countQueries(() => cohortDashboard(viewer, id, now));
 */
export async function countQueries<T>(fn: () => Promise<T>): Promise<{ result: T; queries: number }> {
  const box = { n: 0 };
  const result = await queryCounter.run(box, fn);
  return { result, queries: box.n };
}

function counted<Q extends { queryRaw: (...a: never[]) => Promise<unknown>; executeRaw: (...a: never[]) => Promise<unknown> }>(q: Q): Q {
  const count = () => {
    const box = queryCounter.getStore();
    if (box) box.n += 1;
  };
  const queryRaw = q.queryRaw.bind(q);
  const executeRaw = q.executeRaw.bind(q);
  q.queryRaw = ((...a: never[]) => {
    count();
    return queryRaw(...a);
  }) as Q['queryRaw'];
  q.executeRaw = ((...a: never[]) => {
    count();
    return executeRaw(...a);
  }) as Q['executeRaw'];
  return q;
}

/** Wraps an adapter factory so `countQueries` sees every statement of its connections. */
function countingAdapter(factory: SqlDriverAdapterFactory): SqlDriverAdapterFactory {
  return {
    provider: factory.provider,
    adapterName: factory.adapterName,
    async connect(): Promise<SqlDriverAdapter> {
      const connection = counted(await factory.connect());
      const startTransaction = connection.startTransaction.bind(connection);
      connection.startTransaction = async (...a) => counted(await startTransaction(...a));
      return connection;
    },
  };
}

/**
 * The better-sqlite3 adapter, with SQLITE_PRAGMAS run on each connection it opens (the adapter
 * has no hook of its own for this) and every write made durable before Prisma sees it done
 * (`durableWrites`). Creates the file's folder on first use.
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
      reuseStatements(connection);
      return durableWrites(exclusiveTransactions(connection), file);
    },
  };
}

/**
 * The adapter runs everything on one better-sqlite3 connection and serialises transactions with
 * a mutex, but a statement from outside the transaction (another request's `db.x.create`) still
 * runs on that connection while the transaction is open: it becomes part of the transaction, is
 * answered as done, and is undone if the transaction rolls back (an AppError thrown inside one
 * does). Here a transaction takes its turn before BEGIN, and statements from outside wait until
 * it has committed or rolled back. Statements inside it go through the transaction object and
 * never wait. (Code inside a transaction callback must use its `tx`, never getDb(): that
 * statement would wait for the transaction it is part of.)
 */
function exclusiveTransactions(connection: SqlDriverAdapter): SqlDriverAdapter {
  let turns: Promise<void> = Promise.resolve();
  /** Resolves when the open transaction ends; null while none is open. */
  let open: Promise<void> | null = null;
  const idle = async () => {
    while (open) await open;
  };
  const queryRaw = connection.queryRaw.bind(connection);
  const executeRaw = connection.executeRaw.bind(connection);
  connection.queryRaw = async (q) => {
    if (open) await idle();
    return queryRaw(q);
  };
  connection.executeRaw = async (q) => {
    if (open) await idle();
    return executeRaw(q);
  };
  const startTransaction = connection.startTransaction.bind(connection);
  connection.startTransaction = async (...a) => {
    let end = () => {};
    const mine = new Promise<void>((resolve) => {
      end = resolve;
    });
    const before = turns;
    turns = before.then(() => mine);
    await before;
    open = mine;
    const finish = () => {
      if (open === mine) open = null;
      end();
    };
    try {
      const tx = await startTransaction(...a);
      const commit = tx.commit.bind(tx);
      const rollback = tx.rollback.bind(tx);
      tx.commit = async () => {
        try {
          await commit();
        } finally {
          finish();
        }
      };
      tx.rollback = async () => {
        try {
          await rollback();
        } finally {
          finish();
        }
      };
      return tx;
    } catch (err) {
      finish();
      throw err;
    }
  };
  return connection;
}

/** The part of a better-sqlite3 statement the Prisma adapter (7.10) uses. */
interface SqliteStatement {
  reader: boolean;
  bind(args: unknown[]): SqliteStatement;
  run(...args: unknown[]): unknown;
  columns(): unknown[];
  raw(on?: boolean): { all(...args: unknown[]): unknown[] };
}

/** How many prepared statements a connection keeps (LRU); Prisma's SQL texts repeat. */
const STATEMENT_CACHE_SIZE = 500;

/**
 * The adapter prepares every statement anew (`prepare(sql).bind(args)`), which costs as much as
 * running a small query. This keeps each connection's prepared statements by SQL text and hands
 * the adapter a one-use view that binds the arguments per call (a better-sqlite3 statement can be
 * bound only once, but run with fresh arguments any number of times). Relies on the adapter's
 * `client` field (its better-sqlite3 Database): without it, nothing changes.
 */
function reuseStatements(connection: SqlDriverAdapter): void {
  const client = (connection as unknown as { client?: { prepare?: (sql: string) => SqliteStatement } }).client;
  if (!client || typeof client.prepare !== 'function') return;
  const prepare = client.prepare.bind(client);
  const cache = new Map<string, SqliteStatement>();
  client.prepare = (sql: string) => {
    let stmt = cache.get(sql);
    if (stmt) {
      cache.delete(sql); // most recently used last
    } else {
      stmt = prepare(sql);
      if (cache.size >= STATEMENT_CACHE_SIZE) {
        const oldest = cache.keys().next().value;
        if (oldest !== undefined) cache.delete(oldest);
      }
    }
    cache.set(sql, stmt);
    return oneUse(stmt, []);
  };
}

function oneUse(stmt: SqliteStatement, args: unknown[]): SqliteStatement {
  return {
    reader: stmt.reader,
    bind: (bound) => oneUse(stmt, bound),
    run: () => stmt.run(args),
    columns: () => stmt.columns(),
    raw: () => ({ all: () => stmt.raw(true).all(args) }),
  };
}

/** Statements that change nothing: no fsync after them. Anything else counts as a write. */
const READ_ONLY_SQL = /^\s*(SELECT|PRAGMA|EXPLAIN)\b/i;

/**
 * Group commit. The connection runs with synchronous=NORMAL, so a COMMIT (or a write outside a
 * transaction) reaches the WAL file in the OS cache without an fsync — which would otherwise block
 * the event loop. Before such a write is reported done to Prisma (and so to the caller, and so
 * to the client), the WAL is fdatasync'ed on libuv's thread pool; writes that commit while one
 * fsync is under way share the next one. A write is therefore acknowledged only once it is on
 * disk, exactly as with synchronous=FULL, while the event loop keeps serving other requests.
 * (Checkpoints still sync the WAL before copying it into the database, as they always do.)
 */
function durableWrites(connection: SqlDriverAdapter, file: string): SqlDriverAdapter {
  if (file === ':memory:' || file === '') return connection;
  const sync = walSyncer(`${file}-wal`, path.dirname(file));
  const queryRaw = connection.queryRaw.bind(connection);
  const executeRaw = connection.executeRaw.bind(connection);
  connection.queryRaw = async (q) => {
    const r = await queryRaw(q);
    if (!READ_ONLY_SQL.test(q.sql)) await sync();
    return r;
  };
  connection.executeRaw = async (q) => {
    const r = await executeRaw(q);
    if (!READ_ONLY_SQL.test(q.sql)) await sync();
    return r;
  };
  const startTransaction = connection.startTransaction.bind(connection);
  connection.startTransaction = async (...a) => {
    const tx = await startTransaction(...a);
    const commit = tx.commit.bind(tx);
    // Prisma runs COMMIT through the transaction, then calls commit() (which frees the connection
    // for the next transaction): the sync waits after that, so the next batch need not.
    tx.commit = async () => {
      await commit();
      await sync();
    };
    return tx;
  };
  return connection;
}

/**
 * A function that resolves once an fdatasync of `wal` that *started after the call* has finished.
 * Calls made while one is running share the next one (group commit). The folder is synced once,
 * so a newly created WAL file's name is durable too.
 */
function walSyncer(wal: string, dir: string): () => Promise<void> {
  let running: Promise<void> | undefined;
  let queued: Promise<void> | undefined;
  let dirSynced = false;
  const once = async () => {
    let fh: FileHandle;
    try {
      fh = await open(wal, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return; // no WAL: nothing unsynced
      throw err;
    }
    try {
      await fh.datasync();
    } finally {
      await fh.close();
    }
    if (!dirSynced) {
      const d = await open(dir, 'r');
      try {
        await d.sync();
      } finally {
        await d.close();
      }
      dirSynced = true;
    }
  };
  const start = () => {
    const p = once().finally(() => {
      if (running === p) running = undefined;
    });
    running = p;
    return p;
  };
  return () => {
    if (!running) return start();
    const current = running;
    queued ??= current
      .catch(() => undefined)
      .then(() => {
        queued = undefined;
        return start();
      });
    return queued;
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
    return new SqlitePrismaClient({ adapter: countingAdapter(sqliteAdapter(target.sqlitePath)) });
  }
  const { pool, schema } = postgresPoolConfig(target.url);
  const client = new PostgresPrismaClient({ adapter: countingAdapter(new PrismaPg(pool, { schema })) });
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

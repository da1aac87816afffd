#!/usr/bin/env node
/**
 * Stand-in for Prisma's native `schema-engine` binary (see README.md beside this file).
 *
 * The Prisma 7 CLI runs `$PRISMA_SCHEMA_ENGINE_BINARY` for every migrate/db command. The native
 * binary is downloaded from Prisma's own host, which these machines cannot reach, so
 * prisma.config.ts points the CLI here instead. This script speaks the binary's protocol and
 * forwards each call to @prisma/schema-engine-wasm, which reaches the database through the same
 * driver adapters the app uses (better-sqlite3, pg).
 *
 * Protocol, as the CLI drives it:
 *   schema-engine [--datamodels <file>]… [--datasource '{"url":…}'] [cli <command>]
 *   - with `cli <command>`: one-shot (can-connect-to-database, create-database, drop-database);
 *     exit 0 on success; on failure exit 1 and write JSON log lines to stderr, the first of
 *     which the CLI skips.
 *   - without: JSON-RPC 2.0 over stdin/stdout, one message per line, until stdin closes. The
 *     engine may itself send a `print` request (the CLI writes its content to stdout).
 *   - `--version`: one line, `schema-engine-cli <version>`.
 *
 * Gaps between the Wasm engine and what the CLI expects from the native one, each bridged below
 * and marked GAP n (numbers as in /work/shared/notes/prisma-offline.md and README.md):
 *   1. missing `_prisma_migrations` is an error (P1014), not "not initialised": create, retry
 *   2. multi-statement scripts arrive through executeRaw, which better-sqlite3 rejects
 *   3. `reset` does nothing on SQLite
 *   4. adapter-pg cannot read PostgreSQL's `"char"` columns (OID 18), used in introspection
 *   5. adapter-pg's shadow database: wrong target with a connection string, dropped while open
 *   6. `diff` returns its output instead of printing it through the CLI
 *   7. evaluateDataLoss/createMigration need a shadow database that only other commands open
 */
import { randomUUID } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import readline from 'node:readline';
import { pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);

// ─── arguments ────────────────────────────────────────────────────────────────────────────────

function parseArgs(argv) {
  const args = { datamodels: [], datasource: null, cli: null, version: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--datamodels') args.datamodels.push(argv[++i]);
    else if (a === '--datasource') args.datasource = JSON.parse(argv[++i]);
    else if (a === '--enabled-preview-features' || a === '--extension-types') i++;
    else if (a === '--version' || a === '-V') args.version = true;
    else if (a === 'cli') {
      args.cli = argv[i + 1] ?? null;
      break;
    }
  }
  return args;
}

// ─── logging (the native engine's JSON log lines on stderr) ───────────────────────────────────

function log(level, message, extra = {}) {
  process.stderr.write(
    `${JSON.stringify({ timestamp: new Date().toISOString(), level, fields: { message, ...extra }, target: 'schema_engine::logger' })}\n`,
  );
}

/** Visible with `DEBUG=prisma:schemaEngine*` on the CLI, or on stderr when run by hand. */
function debug(message) {
  if (process.env.DEBUG?.includes('schemaEngine') || process.env.PRISMA_STANDIN_ENGINE_DEBUG) log('DEBUG', message);
}

/** A failure the CLI shows with its Prisma error code, like the native engine's user-facing errors. */
class UserFacingError extends Error {
  constructor(code, message, meta = null) {
    super(message);
    this.code = code;
    this.meta = meta;
  }
}

// ─── the Wasm engine ──────────────────────────────────────────────────────────────────────────

/**
 * `@prisma/schema-engine-wasm`'s entry imports the .wasm file as an ES module, which Node 20
 * only allows behind --experimental-wasm-modules; instantiate it by hand instead.
 */
async function loadWasmEngine() {
  const bgPath = require.resolve('@prisma/schema-engine-wasm/schema_engine_bg');
  const bg = await import(pathToFileURL(bgPath).href);
  const bytes = await readFile(path.join(path.dirname(bgPath), 'schema_engine_bg.wasm'));
  const { instance } = await WebAssembly.instantiate(bytes, { './schema_engine_bg.js': bg });
  bg.__wbg_set_wasm(instance.exports);
  instance.exports.__wbindgen_start();
  return bg;
}

// ─── databases ────────────────────────────────────────────────────────────────────────────────

function providerOfUrl(url) {
  if (url.startsWith('file:')) return 'sqlite';
  if (/^postgres(ql)?:\/\//.test(url)) return 'postgresql';
  throw new UserFacingError('P1013', 'The provided database string is invalid. Expected file: or postgresql://.');
}

function providerOfDatamodels(datamodels) {
  for (const [, content] of datamodels) {
    const m = /datasource\s+\w+\s*\{[^}]*provider\s*=\s*"(\w+)"/.exec(content);
    if (m) return m[1] === 'postgres' ? 'postgresql' : m[1];
  }
  return null;
}

/** Absolute file path of a `file:` URL (relative paths: against the working directory). */
function sqliteFile(url) {
  const raw = url.slice('file:'.length).replace(/\?.*$/, '');
  return raw === ':memory:' ? raw : path.resolve(raw);
}

/** A wrapper that delegates to `adapter`, with some methods replaced. Keeps private fields working. */
function delegate(adapter, overrides) {
  const wrapped = {
    provider: adapter.provider,
    adapterName: adapter.adapterName,
    queryRaw: (q) => adapter.queryRaw(q),
    executeRaw: (q) => adapter.executeRaw(q),
    executeScript: (s) => adapter.executeScript(s),
    startTransaction: (l) => adapter.startTransaction(l),
    dispose: () => adapter.dispose(),
    ...overrides,
  };
  if (adapter.getConnectionInfo) wrapped.getConnectionInfo = () => adapter.getConnectionInfo();
  return wrapped;
}

/** Disposes once, whoever asks first (the Wasm engine, or our exit path). */
function disposeOnce(adapter, open) {
  let done = null;
  const dispose = () => {
    done ??= (async () => {
      open.delete(dispose);
      await adapter.dispose();
    })();
    return done;
  };
  open.add(dispose);
  return dispose;
}

const MIGRATIONS_TABLE_SQL = {
  // Prisma's own definitions of the migrations table (schema-engine/connectors/*).
  sqlite: `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    TEXT PRIMARY KEY NOT NULL,
    "checksum"              TEXT NOT NULL,
    "finished_at"           DATETIME,
    "migration_name"        TEXT NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        DATETIME,
    "started_at"            DATETIME NOT NULL DEFAULT current_timestamp,
    "applied_steps_count"   INTEGER UNSIGNED NOT NULL DEFAULT 0
)`,
  postgresql: (schema) => `CREATE TABLE IF NOT EXISTS "${schema}"."_prisma_migrations" (
    id                      VARCHAR(36) PRIMARY KEY NOT NULL,
    checksum                VARCHAR(64) NOT NULL,
    finished_at             TIMESTAMPTZ,
    migration_name          VARCHAR(255) NOT NULL,
    logs                    TEXT,
    rolled_back_at          TIMESTAMPTZ,
    started_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    applied_steps_count     INTEGER NOT NULL DEFAULT 0
)`,
};

async function sqliteDatabase(url) {
  const { PrismaBetterSqlite3 } = await import('@prisma/adapter-better-sqlite3');
  const file = sqliteFile(url);
  const factory = new PrismaBetterSqlite3({ url: file });
  const open = new Set();

  // GAP 2: the engine sends multi-statement scripts (e.g. a table redefinition) through
  // executeRaw; better-sqlite3's prepare() takes one statement. Run those as a script.
  const bridge = (adapter) =>
    delegate(adapter, {
      executeRaw: async (q) => {
        try {
          return await adapter.executeRaw(q);
        } catch (e) {
          if (q.args.length > 0 || !/more than one statement/i.test(errorText(e))) throw e;
          debug('GAP 2: running a multi-statement executeRaw as a script');
          await adapter.executeScript(q.sql);
          return 0;
        }
      },
      dispose: disposeOnce(adapter, open),
    });

  const connect = async () => bridge(await factory.connect());
  // The engine's own connection. Reads after a failed migration go through it: a second
  // connection can find the file locked until the engine lets go.
  let engineConnection = null;
  return {
    provider: 'sqlite',
    open,
    factory: {
      provider: 'sqlite',
      adapterName: factory.adapterName,
      connect: async () => {
        engineConnection = await connect();
        return engineConnection;
      },
      connectToShadowDb: async () => bridge(await factory.connectToShadowDb()),
    },
    exists: () => file === ':memory:' || existsSync(file),
    name: path.basename(file),
    location: file,
    async create() {
      mkdirSync(path.dirname(file), { recursive: true });
      closeSync(openSync(file, 'a'));
      return path.basename(file);
    },
    async drop() {
      for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(file + suffix, { force: true });
    },
    migrationsTable: '"_prisma_migrations"',
    connect,
    async query(sql) {
      if (engineConnection && open.has(engineConnection.dispose)) {
        return (await engineConnection.queryRaw({ sql, args: [], argTypes: [] })).rows;
      }
      return withConnection(connect, async (c) => (await c.queryRaw({ sql, args: [], argTypes: [] })).rows);
    },
    async createMigrationsTable() {
      await withConnection(connect, (c) => c.executeScript(MIGRATIONS_TABLE_SQL.sqlite));
    },
    // GAP 3: the Wasm engine's reset leaves SQLite untouched. Drop every object ourselves.
    async reset() {
      await withConnection(connect, async (c) => {
        const { rows } = await c.queryRaw({
          sql: "SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' AND type IN ('view', 'trigger', 'table')",
          args: [],
          argTypes: [],
        });
        const order = { trigger: 0, view: 1, table: 2 };
        const drops = rows
          .map(([type, name]) => ({ type: String(type), name: String(name) }))
          .sort((a, b) => order[a.type] - order[b.type])
          .map(({ type, name }) => `DROP ${type.toUpperCase()} IF EXISTS "${name.replaceAll('"', '""')}";`);
        await c.executeScript(['PRAGMA foreign_keys = OFF;', ...drops, 'PRAGMA foreign_keys = ON;'].join('\n'));
        await c.executeScript('VACUUM');
      });
    },
  };
}

async function withConnection(connect, fn) {
  const c = await connect();
  try {
    return await fn(c);
  } finally {
    await c.dispose();
  }
}

async function postgresDatabase(url, shadowUrl) {
  const pg = (await import('pg')).default;
  const { PrismaPg } = await import('@prisma/adapter-pg');
  const { parseIntoClientConfig } = createRequire(require.resolve('pg'))('pg-connection-string');

  // GAP 4: adapter-pg has no column type for `"char"` (OID 18), which pg_catalog uses (relkind,
  // contype, …) and the engine reads when it describes a database. Its values are one-character
  // strings, so report the column as text (OID 25).
  class CharAsTextClient extends pg.Client {
    query(config, values, callback) {
      const fix = (res) => {
        for (const r of Array.isArray(res) ? res : [res]) {
          for (const f of r?.fields ?? []) if (f.dataTypeID === 18) f.dataTypeID = 25;
        }
        return res;
      };
      if (typeof values === 'function') {
        callback = values;
        values = undefined;
      }
      if (typeof callback === 'function') return super.query(config, values, (err, res) => callback(err, err ? res : fix(res)));
      const r = super.query(config, values);
      return r && typeof r.then === 'function' ? r.then(fix) : r;
    }
  }

  // GAP 5 (first half): a parsed config, not { connectionString }: pg lets a connection string
  // win over `database`, so `{ ...config, database: shadow }` would still reach the main database.
  const configOf = (u) => {
    const parsed = parseIntoClientConfig(u);
    const schema = new URL(u).searchParams.get('schema') ?? 'public';
    for (const k of ['schema', 'connection_limit', 'pool_timeout', 'sslaccept', 'socket_timeout']) delete parsed[k];
    return { config: { ...parsed, Client: CharAsTextClient, max: 2 }, schema };
  };
  const { config, schema } = configOf(url);
  const options = { schema };
  const main = new PrismaPg(config, options);
  const open = new Set();
  const bridge = (adapter, dispose = disposeOnce(adapter, open)) => delegate(adapter, { dispose });
  const connect = async () => bridge(await main.connect());

  // Runs `sql` connected to the server's maintenance database (for CREATE/DROP DATABASE).
  const onServer = async (sql) => {
    const admin = new pg.Client({ ...config, database: 'postgres' });
    await admin.connect();
    try {
      return await admin.query(sql);
    } finally {
      await admin.end();
    }
  };
  const quote = (name) => `"${name.replaceAll('"', '""')}"`;

  return {
    provider: 'postgresql',
    open,
    factory: {
      provider: 'postgres',
      adapterName: main.adapterName,
      connect,
      async connectToShadowDb() {
        if (shadowUrl) return bridge(await new PrismaPg(configOf(shadowUrl).config, options).connect());
        const database = `prisma_migrate_shadow_db_${randomUUID()}`;
        await onServer(`CREATE DATABASE ${quote(database)}`);
        const shadow = await new PrismaPg({ ...config, database }, options).connect();
        // GAP 5 (second half): close the shadow pool first; DROP DATABASE fails while it is open.
        let done = null;
        const dispose = () => {
          done ??= (async () => {
            open.delete(dispose);
            try {
              await shadow.dispose();
            } finally {
              await onServer(`DROP DATABASE IF EXISTS ${quote(database)}`);
            }
          })();
          return done;
        };
        open.add(dispose);
        return bridge(shadow, dispose);
      },
    },
    name: config.database,
    location: `${config.host ?? 'localhost'}:${config.port ?? 5432}`,
    async exists() {
      try {
        await withConnection(connect, (c) => c.queryRaw({ sql: 'SELECT 1', args: [], argTypes: [] }));
        return true;
      } catch (e) {
        if (e?.cause?.kind === 'DatabaseDoesNotExist') return false;
        throw connectionError(e, this.location);
      }
    },
    async create() {
      await onServer(`CREATE DATABASE ${quote(config.database)}`);
      return config.database;
    },
    async drop() {
      await onServer(`DROP DATABASE IF EXISTS ${quote(config.database)} WITH (FORCE)`);
    },
    migrationsTable: `${quote(schema)}."_prisma_migrations"`,
    connect,
    async query(sql) {
      return withConnection(connect, async (c) => (await c.queryRaw({ sql, args: [], argTypes: [] })).rows);
    },
    async createMigrationsTable() {
      await withConnection(connect, (c) =>
        c.executeScript(`CREATE SCHEMA IF NOT EXISTS ${quote(schema)};\n${MIGRATIONS_TABLE_SQL.postgresql(schema)}`),
      );
    },
    reset: null, // the Wasm engine's own reset works on PostgreSQL
  };
}

/** A database reached through `url`, with its driver-adapter factory and the bridges above. */
async function openDatabase(url, shadowUrl) {
  return providerOfUrl(url) === 'sqlite' ? sqliteDatabase(url) : postgresDatabase(url, shadowUrl);
}

async function closeDatabase(db) {
  for (const dispose of [...db.open]) {
    try {
      await dispose();
    } catch (e) {
      log('WARN', `closing a connection failed: ${errorText(e)}`);
    }
  }
}

/**
 * The native engine's user-facing error for a failure to reach `location` (host:port or file),
 * from the `DriverAdapterError` kinds that the adapters report.
 */
function connectionError(e, location) {
  const kind = e?.cause?.kind;
  switch (kind) {
    case 'DatabaseNotReachable':
      return new UserFacingError(
        'P1001',
        `Can't reach database server at \`${location}\`\n\nPlease make sure your database server is running at \`${location}\`.`,
      );
    case 'AuthenticationFailed':
      return new UserFacingError(
        'P1000',
        `Authentication failed against database server, the provided database credentials for \`${e.cause.user}\` are not valid.\n\nPlease make sure to provide valid database credentials for the database server at \`${location}\`.`,
      );
    case 'DatabaseAccessDenied':
      return new UserFacingError('P1010', `User was denied access on the database \`${e.cause.db ?? location}\``);
    default:
      return e instanceof UserFacingError ? e : new UserFacingError('P1000', errorText(e));
  }
}

function errorText(e) {
  if (e == null) return String(e);
  if (typeof e !== 'object') return String(e);
  const cause = e.cause ? ` (${errorText(e.cause)})` : '';
  return `${e.message ?? JSON.stringify(e)}${cause}`;
}

// ─── one-shot `cli` commands ──────────────────────────────────────────────────────────────────

async function runCliCommand(command, datasource) {
  // The CLI skips the first stderr line; the native engine starts with an INFO line too.
  log('INFO', `Starting schema engine CLI (wasm stand-in): ${command}`);
  try {
    if (!datasource?.url) throw new UserFacingError('P1012', 'No datasource URL given.');
    const db = await openDatabase(datasource.url, datasource.shadowDatabaseUrl);
    try {
      switch (command) {
        case 'can-connect-to-database':
          if (!(await db.exists())) {
            throw new UserFacingError('P1003', `Database \`${db.name}\` does not exist at \`${db.location}\``, {
              database_name: db.name,
              database_location: db.location,
            });
          }
          break;
        case 'create-database':
          if (!(await db.exists())) await db.create();
          break;
        case 'drop-database':
          await db.drop();
          break;
        default:
          throw new UserFacingError('P1000', `Unknown schema engine cli command: ${command}`);
      }
    } finally {
      await closeDatabase(db);
    }
    process.exit(0);
  } catch (e) {
    log('ERROR', errorText(e), { error_code: e instanceof UserFacingError ? e.code : 'P1000' });
    process.exit(1);
  }
}

// ─── JSON-RPC server ──────────────────────────────────────────────────────────────────────────

async function serveJsonRpc(args) {
  const datamodels = await Promise.all(args.datamodels.map(async (f) => [f, await readFile(f, 'utf8')]));
  const url = args.datasource?.url ?? (providerOfDatamodels(datamodels) === 'postgresql' ? null : 'file::memory:');
  const wasm = await loadWasmEngine();
  let db = null;
  let engine = null;
  let registry = null;
  const { bindMigrationAwareSqlAdapterFactory } = await import('@prisma/driver-adapter-utils');

  const startEngine = async () => {
    if (engine) return engine;
    if (!url) throw new UserFacingError('P1012', 'This command needs a datasource URL (prisma.config.ts).');
    db = await openDatabase(url, args.datasource?.shadowDatabaseUrl);
    const bound = bindMigrationAwareSqlAdapterFactory(db.factory);
    registry = bound.errorRegistry;
    engine = await wasm.SchemaEngine.new(
      { datamodels: datamodels.length > 0 ? datamodels : undefined },
      (line) => debug(String(line)),
      bound,
    );
    return engine;
  };

  // GAP 6: the native engine prints `diff` output by asking the CLI to (`print` request).
  let printId = 0;
  const pendingPrints = new Map();
  const print = (content) =>
    new Promise((resolve) => {
      const id = `standin-print-${++printId}`;
      pendingPrints.set(id, resolve);
      send({ jsonrpc: '2.0', id, method: 'print', params: { content } });
    });

  // GAP 1: the Wasm engine reports a missing migrations table as an error (P1014) instead of
  // an uninitialised history. Create the table (Prisma's definition) and run the command again.
  // `migrate status` (diagnoseMigrationHistory) must not leave it behind: drop it again and
  // answer `hasMigrationsTable: false`, as the native engine would.
  const withMigrationsTable = async (run, { readOnly = false } = {}) => {
    try {
      return await run();
    } catch (e) {
      if (!/_prisma_migrations/.test(errorText(e))) throw e;
      debug('GAP 1: creating the missing _prisma_migrations table');
      await db.createMigrationsTable();
      if (!readOnly) return run();
      try {
        return { ...(await run()), hasMigrationsTable: false };
      } finally {
        await withConnection(db.connect, (c) => c.executeScript(`DROP TABLE IF EXISTS ${db.migrationsTable}`));
      }
    }
  };

  // GAP 7: the Wasm engine connects its shadow database only inside commands that opt in
  // (diagnoseMigrationHistory, devDiagnostic with drift checks, diff); evaluateDataLoss and
  // createMigration reuse that connection and fail without it ("… shadow DB must be provided
  // through an external factory"), e.g. `migrate dev` on a fresh database with a history.
  // Open it with a diagnoseMigrationHistory call, then run the command again.
  const withShadowDatabase = async (p, run) => {
    try {
      return await run();
    } catch (e) {
      if (!/shadow DB must be provided through an external factory/.test(errorText(e)) || !p?.migrationsList) throw e;
      debug('GAP 7: opening the shadow database through diagnoseMigrationHistory');
      await engine.diagnoseMigrationHistory({
        migrationsList: p.migrationsList,
        optInToShadowDatabase: true,
        filters: p.filters ?? { externalTables: [], externalEnums: [] },
      });
      return run();
    }
  };

  // The Wasm engine reports a failed migration step with the bare database error; the native
  // engine wraps it in P3018, naming the migration that `migrate resolve` needs.
  const applyMigrations = async (p) => {
    try {
      return await withMigrationsTable(() => engine.applyMigrations(p));
    } catch (e) {
      if (/^P3/.test(e?.code ?? '')) throw e; // already a migration-level error, e.g. P3009
      const failed = await db
        .query(
          `SELECT migration_name FROM ${db.migrationsTable} WHERE finished_at IS NULL AND rolled_back_at IS NULL ORDER BY started_at DESC`,
        )
        .catch((err) => {
          debug(`looking up the failed migration: ${errorText(err)}`);
          return null;
        });
      const name = failed?.[0]?.[0];
      if (typeof name !== 'string') throw e;
      // Keep the database's message; drop the engine's span trace ("   0: sql_schema_connector…").
      const databaseError = errorText(e)
        .replace(/^external connector error\n/, '')
        .replace(/\n\s+0: [\s\S]*$/, '');
      throw new UserFacingError(
        'P3018',
        `A migration failed to apply. New migrations cannot be applied before the error is recovered from. Read more about how to resolve migration issues in a production database: https://pris.ly/d/migrate-resolve\n\nMigration name: ${name}\n\nDatabase error:\n${databaseError}\n`,
        { migration_name: name, database_error: databaseError },
      );
    }
  };

  const methods = {
    applyMigrations,
    createMigration: (p) => withMigrationsTable(() => withShadowDatabase(p, () => engine.createMigration(p))),
    devDiagnostic: (p) => withMigrationsTable(() => engine.devDiagnostic(p)),
    diagnoseMigrationHistory: (p) => withMigrationsTable(() => engine.diagnoseMigrationHistory(p), { readOnly: true }),
    evaluateDataLoss: (p) => withMigrationsTable(() => withShadowDatabase(p, () => engine.evaluateDataLoss(p))),
    markMigrationApplied: (p) => withMigrationsTable(() => engine.markMigrationApplied(p)),
    markMigrationRolledBack: (p) => withMigrationsTable(() => engine.markMigrationRolledBack(p)),
    dbExecute: async (p) => {
      await engine.dbExecute(p);
      return {};
    },
    ensureConnectionValidity: async (p) => {
      await engine.ensureConnectionValidity(p);
      return {};
    },
    introspect: (p) => engine.introspect(p),
    introspectSql: (p) => engine.introspectSql(p),
    schemaPush: (p) => engine.schemaPush(p),
    getDatabaseVersion: (p) => engine.version(p ?? null),
    reset: async (p) => {
      if (db.reset) debug('GAP 3: resetting SQLite by dropping every object');
      if (db.reset) await db.reset();
      else await engine.reset(p);
      return {};
    },
    createDatabase: async () => {
      const databaseName = (await db.exists()) ? db.name : await db.create();
      return { databaseName };
    },
    diff: async (p) => {
      const { stdout, ...rest } = await engine.diff(p);
      if (stdout) await print(stdout.endsWith('\n') ? stdout.slice(0, -1) : stdout);
      return rest;
    },
    debugPanic: async () => engine.debugPanic(),
  };

  const send = (message) => process.stdout.write(`${JSON.stringify(message)}\n`);

  const toRpcError = (e) => {
    // Errors thrown by the driver (via the adapter) are parked in the registry under an id.
    let cause = e;
    const id = e?.cause?.id ?? e?.id;
    if (registry && typeof id === 'number') cause = registry.consumeError(id)?.error ?? e;
    const isPanic = cause instanceof WebAssembly.RuntimeError || /unreachable|panicked/i.test(cause?.message ?? '');
    const code = typeof cause?.code === 'string' && /^P\d{4}$/.test(cause.code) ? cause.code : undefined;
    return {
      code: 4466,
      message: 'An error happened. Check the data field for details.',
      data: { is_panic: isPanic, message: errorText(cause), meta: cause?.meta ?? null, error_code: code },
    };
  };

  // Requests run one at a time: the CLI waits for each answer anyway, and the engine is not
  // meant to be re-entered.
  let queue = Promise.resolve();
  let panicked = false;
  const handle = async (request) => {
    const { id, method, params } = request;
    try {
      const fn = methods[method];
      if (!fn) throw new UserFacingError('P1000', `Method not supported by the stand-in engine: ${method}`);
      if (method !== 'createDatabase' || !db) await startEngine();
      const result = await fn(params);
      send({ jsonrpc: '2.0', id, result: result ?? {} });
    } catch (e) {
      const error = toRpcError(e);
      if (error.data.is_panic) panicked = true;
      log('ERROR', error.data.message, { error_code: error.data.error_code });
      send({ jsonrpc: '2.0', id, error });
    }
  };

  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
  lines.on('line', (line) => {
    if (!line.trim()) return;
    let message;
    try {
      message = JSON.parse(line);
    } catch {
      log('ERROR', `Could not parse JSON-RPC message: ${line.slice(0, 200)}`);
      return;
    }
    if (message.method === undefined && pendingPrints.has(message.id)) {
      pendingPrints.get(message.id)();
      pendingPrints.delete(message.id);
      return;
    }
    queue = queue.then(() => handle(message));
  });
  lines.on('close', async () => {
    await queue;
    if (db) await closeDatabase(db);
    process.exit(panicked ? 101 : 0);
  });
}

// ─── main ─────────────────────────────────────────────────────────────────────────────────────

const args = parseArgs(process.argv.slice(2));
if (args.version) {
  const wasm = await loadWasmEngine();
  process.stdout.write(`schema-engine-cli ${wasm.version()} (wasm stand-in)\n`);
} else if (args.cli) {
  await runCliCommand(args.cli, args.datasource);
} else {
  await serveJsonRpc(args);
}

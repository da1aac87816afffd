/**
 * The db:* npm scripts. Each runs the Prisma CLI with our configuration (prisma.config.ts picks
 * the provider from DATABASE_URL) and the stand-in schema engine (prisma/engine/README.md).
 *
 *   npm run db:generate                  both clients (the app picks one at run time)
 *   npm run db:migrate [-- --name <what>] derive both schemas from prisma/models.prisma; if the
 *                                        models changed, create the migration (named) for BOTH
 *                                        providers; then `migrate dev` on the configured database
 *                                        and regenerate both clients
 *   npm run db:deploy                    apply pending migrations to the configured database
 *   npm run db:reset                     drop everything in the configured database, re-apply
 *
 * db:migrate creates each provider's migration against a throwaway database, so the developer's
 * own database never decides what goes into a migration: a temporary SQLite file, and a
 * temporary database on the PostgreSQL server at DB_MIGRATE_POSTGRES_URL (default
 * postgresql://postgres@127.0.0.1:5432/postgres); the PostgreSQL folder gets the SQLite folder's
 * name. Without a reachable server it stops after the SQLite migration and says so (exit 2);
 * test/unit/db-schema.test.ts fails until the PostgreSQL migration exists too, and a later
 * `npm run db:migrate` with a server creates just that.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { resolveDatabaseUrl } from '../lib/db/url';
import { runPrisma } from './db-cli';
import { DB_PROVIDERS, type DbProvider, deriveAll, migrationsPathFor, REPO_ROOT, schemaPathFor } from './db-schemas';

const DEFAULT_MIGRATE_POSTGRES_URL = 'postgresql://postgres@127.0.0.1:5432/postgres';

function prisma(args: string[], databaseUrl?: string): number {
  return runPrisma(args, { databaseUrl }).code;
}

function must(code: number, what: string): void {
  if (code !== 0) {
    console.error(`\n${what} failed (exit ${code}).`);
    process.exit(code);
  }
}

function migrationNames(provider: DbProvider): string[] {
  try {
    return readdirSync(migrationsPathFor(provider), { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
  } catch {
    return [];
  }
}

function generate(): void {
  for (const provider of DB_PROVIDERS) {
    must(prisma(['generate', '--schema', path.relative(REPO_ROOT, schemaPathFor(provider))]), `prisma generate (${provider})`);
  }
}

function ensureSqliteFolder(): void {
  const target = resolveDatabaseUrl(process.env);
  if (target.sqlitePath) mkdirSync(path.dirname(target.sqlitePath), { recursive: true });
}

/** A throwaway PostgreSQL database, or the reason there is none. */
async function throwawayPostgres(): Promise<{ url: string; drop: () => Promise<void> } | { reason: string }> {
  const serverUrl = process.env.DB_MIGRATE_POSTGRES_URL ?? DEFAULT_MIGRATE_POSTGRES_URL;
  const admin = new pg.Client({ connectionString: serverUrl, connectionTimeoutMillis: 3000 });
  const name = `km_migrate_${randomBytes(6).toString('hex')}`;
  try {
    await admin.connect();
    await admin.query(`CREATE DATABASE "${name}"`);
  } catch (e) {
    await admin.end().catch(() => {});
    return { reason: `no PostgreSQL server at ${redact(serverUrl)} (${(e as Error).message})` };
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.end();
    },
  };
}

function redact(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

/** `prisma migrate diff --exit-code` between a provider's migrations and its schema: changed? */
function modelsChangedSinceLastMigration(scratchUrl: string): boolean {
  const code = prisma(
    ['migrate', 'diff', '--from-migrations', 'prisma/sqlite/migrations', '--to-schema', 'prisma/sqlite/schema.prisma', '--exit-code'],
    scratchUrl,
  );
  if (code !== 0 && code !== 2) must(code, 'prisma migrate diff');
  return code === 2;
}

function nameArgument(args: string[]): string | undefined {
  const at = args.indexOf('--name');
  return at >= 0 ? args[at + 1] : args.find((a) => a.startsWith('--name='))?.slice('--name='.length);
}

async function migrate(args: string[]): Promise<void> {
  // 1. Both schemas from models.prisma.
  const derived = deriveAll();
  for (const provider of DB_PROVIDERS) writeFileSync(schemaPathFor(provider), derived[provider]);

  // 2. SQLite first, against a throwaway file (its shadow database is in memory).
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'km-migrate-'));
  const scratchUrl = `file:${path.join(scratch, 'migrate.db')}`;
  try {
    if (modelsChangedSinceLastMigration(scratchUrl)) {
      const name = nameArgument(args);
      if (!name) {
        console.error('\nprisma/models.prisma changed. Name the migration: npm run db:migrate -- --name <what-changed>');
        process.exit(64);
      }
      console.log('\n── SQLite migration ──');
      must(prisma(['migrate', 'dev', '--create-only', '--name', name], scratchUrl), 'creating the SQLite migration');
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }

  // 3. PostgreSQL catches up with every SQLite migration it lacks, under the same folder name.
  const missing = migrationNames('sqlite').filter((m) => !migrationNames('postgresql').includes(m));
  const extra = migrationNames('postgresql').filter((m) => !migrationNames('sqlite').includes(m));
  if (extra.length > 0) {
    console.warn(
      `\nWarning: PostgreSQL migrations with no SQLite twin: ${extra.join(', ')}. Create migrations with npm run db:migrate only.`,
    );
  }
  const last = missing.at(-1);
  if (last) {
    console.log('\n── PostgreSQL migration ──');
    const pgDb = await throwawayPostgres();
    if ('reason' in pgDb) {
      console.error(
        `\nThe PostgreSQL migration for ${missing.join(', ')} was NOT created: ${pgDb.reason}.\n` +
          'Start a PostgreSQL server (or set DB_MIGRATE_POSTGRES_URL to one where you may create databases) and\n' +
          'run npm run db:migrate again: it creates the missing PostgreSQL migration and nothing else.\n' +
          'Until then test/unit/db-schema.test.ts fails: the two migration folders differ.',
      );
      process.exit(2);
    }
    const before = migrationNames('postgresql');
    try {
      const name = last.replace(/^\d+_/, '');
      must(prisma(['migrate', 'dev', '--create-only', '--name', name], pgDb.url), 'creating the PostgreSQL migration');
    } finally {
      await pgDb.drop();
    }
    const created = migrationNames('postgresql').filter((m) => !before.includes(m));
    const [pgNew] = created;
    if (created.length === 1 && pgNew && pgNew !== last) {
      renameSync(path.join(migrationsPathFor('postgresql'), pgNew), path.join(migrationsPathFor('postgresql'), last));
    }
  }

  // 4. The configured database, and the clients.
  console.log('\n── Configured database ──');
  ensureSqliteFolder();
  must(prisma(['migrate', 'dev']), 'prisma migrate dev');
  generate();
}

async function main(argv: string[]): Promise<void> {
  const [task, ...rest] = argv;
  switch (task) {
    case 'generate':
      generate();
      break;
    case 'migrate':
      await migrate(rest);
      break;
    case 'deploy':
      ensureSqliteFolder();
      must(prisma(['migrate', 'deploy', ...rest]), 'prisma migrate deploy');
      break;
    case 'reset':
      ensureSqliteFolder();
      must(prisma(['migrate', 'reset', '--force', ...rest]), 'prisma migrate reset');
      break;
    default:
      console.error('Usage: tsx scripts/db-tasks.ts generate|migrate|deploy|reset [prisma args]');
      process.exit(64);
  }
}

await main(process.argv.slice(2));

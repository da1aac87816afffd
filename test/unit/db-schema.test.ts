import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
// lib/db/url rather than lib/db: this test must run (and say what to do) before the clients exist.
import { resolveDatabaseUrl } from '@/lib/db/url';
import { loadEnv } from '@/lib/env';
import { runPrisma } from '@/scripts/db-cli';
import { DB_PROVIDERS, deriveAll, MODELS_PATH, migrationsPathFor, schemaPathFor } from '@/scripts/db-schemas';

/**
 * prisma/models.prisma is the only place models are written. These tests keep everything
 * derived from it honest: the two provider schemas, and the two migration histories (a model
 * change must come with a migration for SQLite AND PostgreSQL, or they drift apart).
 */

type Tables = Map<string, Set<string>>;

function describeTables(tables: Tables): Record<string, string[]> {
  return Object.fromEntries([...tables].sort(([a], [b]) => a.localeCompare(b)).map(([t, cols]) => [t, [...cols].sort()]));
}

/** Tables and their columns as the models define them (scalar fields; @map/@@map honoured). */
function tablesFromModels(source: string): Tables {
  const scalars = new Set(['String', 'Int', 'BigInt', 'Float', 'Decimal', 'Boolean', 'DateTime', 'Json', 'Bytes']);
  const tables: Tables = new Map();
  for (const [, name, body] of source.matchAll(/^model\s+(\w+)\s*\{([\s\S]*?)^\}/gm)) {
    if (!name || body === undefined) continue;
    const table = /@@map\("([^"]+)"\)/.exec(body)?.[1] ?? name;
    const columns = new Set<string>();
    for (const line of body.split('\n')) {
      const field = /^\s*(\w+)\s+(\w+)(\?|\[\])?(.*)$/.exec(line.replace(/\/\/.*$/, ''));
      if (!field) continue;
      const [, fieldName, type, modifier, rest] = field;
      const isColumn = (type !== undefined && scalars.has(type)) || type === 'Unsupported';
      if (!fieldName || !isColumn || modifier === '[]') continue;
      columns.add(/@map\("([^"]+)"\)/.exec(rest ?? '')?.[1] ?? fieldName);
    }
    tables.set(table, columns);
  }
  return tables;
}

/**
 * Tables and columns after replaying a migration folder's SQL, statement by statement. Knows the
 * statements Prisma generates that change names: CREATE/DROP TABLE, ALTER TABLE … RENAME TO,
 * ADD/DROP/RENAME COLUMN (SQLite's table redefinition is CREATE new_X, DROP X, RENAME new_X TO X).
 */
function tablesFromMigrations(folder: string): Tables {
  const tables: Tables = new Map();
  const migrations = readdirSync(folder, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
  for (const migration of migrations) {
    const sql = readFileSync(path.join(folder, migration, 'migration.sql'), 'utf8')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/^\s*--.*$/gm, '');
    for (const raw of sql.split(/;\s*(?:\n|$)/)) {
      const statement = raw.trim();
      const create = /^CREATE TABLE "([^"]+)"\s*\(([\s\S]*)\)$/i.exec(statement);
      if (create?.[1] && create[2] !== undefined) {
        const columns = [...create[2].matchAll(/^\s*"([^"]+)"\s/gm)].map((m) => m[1] ?? '');
        tables.set(create[1], new Set(columns));
        continue;
      }
      const drop = /^DROP TABLE "([^"]+)"$/i.exec(statement);
      if (drop?.[1]) {
        tables.delete(drop[1]);
        continue;
      }
      const rename = /^ALTER TABLE "([^"]+)"\s+RENAME TO\s+"([^"]+)"$/i.exec(statement);
      if (rename?.[1] && rename[2]) {
        tables.set(rename[2], tables.get(rename[1]) ?? new Set());
        tables.delete(rename[1]);
        continue;
      }
      const alter = /^ALTER TABLE "([^"]+)"\s+([\s\S]*)$/i.exec(statement);
      const columns = alter?.[1] ? tables.get(alter[1]) : undefined;
      if (!alter || !columns) continue;
      const clauses = alter[2] ?? '';
      for (const m of clauses.matchAll(/ADD\s+(?:COLUMN\s+)?"([^"]+)"/gi)) columns.add(m[1] ?? '');
      for (const m of clauses.matchAll(/DROP\s+(?:COLUMN\s+)?"([^"]+)"/gi)) columns.delete(m[1] ?? '');
      for (const m of clauses.matchAll(/RENAME\s+(?:COLUMN\s+)?"([^"]+)"\s+TO\s+"([^"]+)"/gi)) {
        columns.delete(m[1] ?? '');
        columns.add(m[2] ?? '');
      }
    }
  }
  tables.delete('_prisma_migrations');
  return tables;
}

function migrationNames(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
}

describe('derived schemas', () => {
  test.each(DB_PROVIDERS)('prisma/%s/schema.prisma is what db:schemas derives from models.prisma', (provider) => {
    const committed = readFileSync(schemaPathFor(provider), 'utf8');
    const expected = deriveAll()[provider];
    expect(
      committed === expected,
      `prisma/${provider}/schema.prisma is out of date with prisma/models.prisma: run npm run db:schemas ` +
        '(then npm run db:migrate -- --name <change> if the models changed)',
    ).toBe(true);
  });

  test('both end with the models verbatim', () => {
    const models = `${readFileSync(MODELS_PATH, 'utf8').trimEnd()}\n`;
    for (const derived of Object.values(deriveAll())) expect(derived.endsWith(models)).toBe(true);
  });
});

describe('migration histories', () => {
  const models = tablesFromModels(readFileSync(MODELS_PATH, 'utf8'));

  test('the model parser sees every model', () => {
    expect(models.size).toBeGreaterThanOrEqual(12);
    expect([...(models.get('User') ?? [])]).toContain('emailVerified');
    expect([...(models.get('User') ?? [])]).not.toContain('sessions');
  });

  test('SQLite and PostgreSQL have the same migrations, by folder name', () => {
    expect(
      migrationNames(migrationsPathFor('postgresql')),
      'each migration needs a twin in the other provider: run npm run db:migrate (it creates what is missing)',
    ).toEqual(migrationNames(migrationsPathFor('sqlite')));
  });

  test.each(DB_PROVIDERS)('replaying %s migrations gives the tables and columns of models.prisma', (provider) => {
    expect(
      describeTables(tablesFromMigrations(migrationsPathFor(provider))),
      `prisma/${provider}/migrations does not produce the models: run npm run db:migrate -- --name <change>`,
    ).toEqual(describeTables(models));
  });

  // The exact check (types, defaults, indexes, keys) needs the engine to replay the history on a
  // shadow database: in memory for SQLite, here; PostgreSQL's runs in db-postgresql.test.ts.
  test('SQLite migrations reproduce prisma/sqlite/schema.prisma exactly (prisma migrate diff)', () => {
    const scratch = mkdtempSync(path.join(os.tmpdir(), 'km-schema-'));
    try {
      const run = runPrisma(
        ['migrate', 'diff', '--from-migrations', 'prisma/sqlite/migrations', '--to-schema', 'prisma/sqlite/schema.prisma', '--exit-code'],
        { databaseUrl: `file:${path.join(scratch, 'unused.db')}`, capture: true },
      );
      expect(run.code, `models changed without a migration: run npm run db:migrate -- --name <change>\n${run.stdout}${run.stderr}`).toBe(0);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});

describe('database selection', () => {
  const secret = { AUTH_SECRET: 'x'.repeat(32) };
  test.each([
    {},
    { DATA_DIR: '/srv/km' },
    { DATABASE_URL: 'file:./tmp/dev.db' },
    { DATABASE_URL: 'file:/var/lib/km/km.db' },
    { DATABASE_URL: 'postgresql://app@db:5432/km?schema=km' },
    { DATABASE_URL: 'postgres://app@db/km' },
  ])('lib/db agrees with lib/env for %o', (source) => {
    const fromEnv = loadEnv({ ...source, ...secret });
    const fromDb = resolveDatabaseUrl(source);
    expect({ url: fromDb.url, provider: fromDb.provider, sqlitePath: fromDb.sqlitePath }).toEqual({
      url: fromEnv.DATABASE_URL,
      provider: fromEnv.dbProvider,
      sqlitePath: fromEnv.sqlitePath,
    });
  });

  test('rejects other schemes, naming DATABASE_URL', () => {
    expect(() => resolveDatabaseUrl({ DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL/);
  });
});

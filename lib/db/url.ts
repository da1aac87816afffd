import path from 'node:path';

/**
 * Which database a process uses, from DATABASE_URL and DATA_DIR only.
 *
 * The one place this rule lives: `loadEnv` (lib/env.ts) calls it, and so do the Prisma CLI
 * (prisma.config.ts) and the db:* scripts, which must run without the rest of the configuration
 * (no AUTH_SECRET on a machine that only migrates).
 *   - unset: the embedded SQLite file `<DATA_DIR or data>/kernel-map.db`
 *   - `file:<path>`: SQLite; a relative path resolves against the working directory
 *   - `postgresql://…` / `postgres://…`: PostgreSQL
 */
export type DbProvider = 'sqlite' | 'postgresql';

export type DatabaseTarget =
  | { provider: 'sqlite'; url: string; sqlitePath: string }
  | { provider: 'postgresql'; url: string; sqlitePath: null };

export const DEFAULT_SQLITE_FILE = 'kernel-map.db';

/** Throws a message naming DATABASE_URL when it is neither `file:` nor `postgres(ql)://`. */
export function resolveDatabaseUrl(source: Record<string, string | undefined> = process.env): DatabaseTarget {
  const raw = source.DATABASE_URL;
  const dataDir = source.DATA_DIR || 'data';
  const url = raw ?? `file:${path.join(dataDir, DEFAULT_SQLITE_FILE)}`;
  if (url.startsWith('file:')) {
    const sqlitePath = path.resolve(url.slice('file:'.length));
    return { provider: 'sqlite', url: `file:${sqlitePath}`, sqlitePath };
  }
  if (/^postgres(ql)?:\/\//.test(url)) return { provider: 'postgresql', url, sqlitePath: null };
  throw new Error('DATABASE_URL: must start with file: (SQLite) or postgresql:// (PostgreSQL)');
}

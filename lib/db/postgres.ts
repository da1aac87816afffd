import type { PoolConfig } from 'pg';

/**
 * node-postgres pool settings from a `postgresql://` DATABASE_URL.
 *
 * pg reads host, port, user, password, database and `sslmode` from the URL itself; the parameters
 * Prisma users know from Prisma's own URLs are taken out and applied here instead:
 *   - `schema=<name>`: the PostgreSQL schema the adapter qualifies tables with (default public)
 *   - `connection_limit=<n>`: the pool size (default 10, pg's default)
 *   - `pool_timeout=<seconds>`: how long a query waits for a connection, including opening one
 *     (default 10)
 *
 * @example
 *   postgresPoolConfig('postgresql://app@db:5432/kernelmap?schema=km&connection_limit=20')
 *   // → { pool: { connectionString: 'postgresql://app@db:5432/kernelmap', max: 20, … }, schema: 'km' }
 */
export function postgresPoolConfig(url: string): { pool: PoolConfig; schema: string } {
  const parsed = new URL(url);
  const take = (key: string): string | null => {
    const value = parsed.searchParams.get(key);
    parsed.searchParams.delete(key);
    return value;
  };
  const positive = (key: string, value: string | null, fallback: number): number => {
    if (value === null) return fallback;
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`DATABASE_URL: ${key} must be a positive number, got "${value}"`);
    return n;
  };
  const schema = take('schema') ?? 'public';
  const max = positive('connection_limit', take('connection_limit'), 10);
  const poolTimeout = positive('pool_timeout', take('pool_timeout'), 10);
  return {
    pool: {
      connectionString: parsed.toString(),
      max: Math.floor(max),
      connectionTimeoutMillis: Math.round(poolTimeout * 1000),
      idleTimeoutMillis: 30_000,
    },
    schema,
  };
}

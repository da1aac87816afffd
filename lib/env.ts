import { z } from 'zod';
import { resolveDatabaseUrl } from '@/lib/db/url';

/**
 * The process configuration, parsed once from `process.env`.
 *
 * A missing or malformed setting stops start-up with a message naming it (see `loadEnv`).
 * `npm start` (scripts/start.ts) fills in the two settings a fresh machine lacks: it creates a
 * random `AUTH_SECRET` under the data folder on first run, and uses the embedded SQLite file.
 */

export const DEFAULT_DATA_DIR = 'data';

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  /** Where the embedded database, the generated secret and lab scratch files live. */
  DATA_DIR: z.string().min(1).default(DEFAULT_DATA_DIR),
  /**
   * `file:<path>` selects the embedded SQLite database (relative paths resolve against the
   * working directory); `postgresql://…` or `postgres://…` selects PostgreSQL.
   */
  DATABASE_URL: z
    .string()
    .regex(/^(file:|postgres(ql)?:\/\/)/, 'must start with file: (SQLite) or postgresql:// (PostgreSQL)')
    .optional(),
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  /** Signs session cookies. At least 32 characters; `npm start` generates one if unset. */
  AUTH_SECRET: z.string().min(32, 'must be at least 32 characters'),
  /**
   * Origins allowed to make state-changing requests, comma separated. Empty: the request's own
   * Host (so http://localhost:PORT works out of the box).
   */
  TRUSTED_ORIGINS: z
    .string()
    .default('')
    .transform((s) =>
      s
        .split(',')
        .map((o) => o.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.url({ message: 'each entry must be an origin such as https://kernelmap.example' }))),
  /** Sign-in attempts allowed per window for one account from one client address. */
  SIGNIN_LIMIT: z.coerce.number().int().min(1).default(10),
  /**
   * Sign-in attempts allowed per window for one account from all addresses together (the slower
   * ceiling against guessing from many addresses). Addresses the account signed in from before are
   * exempt, so reaching it cannot lock the owner out of their usual address.
   */
  SIGNIN_ACCOUNT_LIMIT: z.coerce.number().int().min(1).default(100),
  /** Sign-in attempts allowed per window from one client address (for any accounts). */
  SIGNIN_IP_LIMIT: z.coerce.number().int().min(1).default(50),
  SIGNIN_WINDOW_SECONDS: z.coerce.number().int().min(1).default(300),
  /** Sign-ups (accounts created or attempted) allowed per window from one client address. */
  SIGNUP_IP_LIMIT: z.coerce.number().int().min(1).default(10),
  SIGNUP_WINDOW_SECONDS: z.coerce.number().int().min(1).default(3600),
  /** Lab VM minutes one learner may use per day (UTC), over all their sessions. */
  LAB_MINUTES_PER_DAY: z.coerce.number().int().min(1).default(240),
  /** Seed the demo instructor and student on start (idempotent). */
  SEED_DEMO: z
    .enum(['true', 'false', '1', '0'])
    .default('true')
    .transform((v) => v === 'true' || v === '1'),
});

export type Env = z.infer<typeof envSchema> & {
  DATABASE_URL: string;
  dbProvider: 'sqlite' | 'postgresql';
  /** For SQLite, the absolute path of the database file. */
  sqlitePath: string | null;
};

export class EnvError extends Error {
  constructor(readonly issues: string[]) {
    super(`Invalid configuration:\n${issues.map((i) => `  - ${i}`).join('\n')}`);
    this.name = 'EnvError';
  }
}

/** Parses an environment (default: `process.env`); throws `EnvError` naming each bad setting. */
export function loadEnv(source: Record<string, string | undefined> = process.env): Env {
  const parsed = envSchema.safeParse(source);
  if (!parsed.success) {
    throw new EnvError(
      parsed.error.issues.map((i) => {
        const key = String(i.path[0] ?? '?');
        const missing = i.code === 'invalid_type' && source[key] === undefined;
        return missing ? `${key} is required but not set` : `${key}: ${i.message}`;
      }),
    );
  }
  const e = parsed.data;
  const db = resolveDatabaseUrl({ DATABASE_URL: e.DATABASE_URL, DATA_DIR: e.DATA_DIR });
  return { ...e, DATABASE_URL: db.url, dbProvider: db.provider, sqlitePath: db.sqlitePath };
}

let cached: Env | undefined;

/** The process-wide configuration; parsed on first use. */
export function env(): Env {
  cached ??= loadEnv();
  return cached;
}

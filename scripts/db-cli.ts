/**
 * Runs the Prisma CLI the way every db:* script and database test does: from the repo root (so
 * prisma.config.ts applies, with its stand-in schema engine), without update checks, and with
 * the DATABASE_URL given (which selects the provider).
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PRISMA_CLI = createRequire(import.meta.url).resolve('prisma/build/index.js');

export type PrismaRun = { code: number; stdout: string; stderr: string };

/**
 * `prisma <args>` with DATABASE_URL = `databaseUrl` (or the caller's environment when omitted).
 * `capture: false` (the default for scripts) streams output to the terminal; tests capture it.
 */
export function runPrisma(args: string[], options: { databaseUrl?: string; capture?: boolean } = {}): PrismaRun {
  const env: NodeJS.ProcessEnv = { ...process.env, CHECKPOINT_DISABLE: '1', PRISMA_HIDE_UPDATE_MESSAGE: '1' };
  if (options.databaseUrl !== undefined) env.DATABASE_URL = options.databaseUrl;
  const run = spawnSync(process.execPath, [PRISMA_CLI, ...args], {
    cwd: REPO_ROOT,
    env,
    stdio: options.capture ? 'pipe' : 'inherit',
    encoding: 'utf8',
  });
  if (run.error) throw run.error;
  return { code: run.status ?? 1, stdout: run.stdout ?? '', stderr: run.stderr ?? '' };
}

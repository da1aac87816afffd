import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';

/**
 * Starts the real server (server.ts on the production build in .next — `npm test` builds it) on a
 * free port, against a fresh database: a SQLite file in a temp folder, or a throwaway PostgreSQL
 * database. Tests talk to it over HTTP exactly as a browser would.
 */
const root = path.resolve(import.meta.dirname, '..', '..');
// `node --import tsx` rather than the tsx binary: the binary runs the server in a child process,
// so SIGKILL would hit only the wrapper and leave the real server running.
const serverArgs = ['--import', 'tsx', 'server.ts'];

export interface TestServer {
  url: string;
  port: number;
  env: Record<string, string>;
  output: () => string;
  /** Graceful stop (SIGTERM). */
  stop: () => Promise<void>;
  /** SIGKILL: no shutdown hooks, no flushing — a crash. */
  kill: () => Promise<void>;
  /** Starts again on the same port and database. */
  restart: () => Promise<void>;
  /** Removes the temp folder / drops the throwaway database. */
  cleanup: () => Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      s.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

export const POSTGRES_ADMIN_URL = process.env.TEST_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

/** True when the PostgreSQL server for tests answers. */
export async function postgresReachable(): Promise<boolean> {
  const c = new pg.Client({ connectionString: POSTGRES_ADMIN_URL, connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    await c.end();
    return true;
  } catch {
    return false;
  }
}

/** Creates an empty database with a random name; returns its URL and a dropper. */
export async function throwawayPostgres(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `km_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(POSTGRES_ADMIN_URL);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** Applies the migrations to `databaseUrl` with the project's own command. */
export function deployMigrations(databaseUrl: string): void {
  const r = spawnSync('npm', ['run', '--silent', 'db:deploy'], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: databaseUrl },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`db:deploy failed for ${databaseUrl}:\n${r.stdout}\n${r.stderr}`);
}

export interface StartOptions {
  provider?: 'sqlite' | 'postgresql';
  env?: Record<string, string>;
  /** Skip migrations (for servers that are meant to fail). */
  migrate?: boolean;
  /** Wait for /api/health to answer 200 (default) or only for the port to accept requests. */
  waitFor?: 'healthy' | 'listening';
}

export async function startServer(opts: StartOptions = {}): Promise<TestServer> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'km-test-'));
  let drop: (() => Promise<void>) | undefined;
  let databaseUrl = `file:${path.join(dataDir, 'test.db')}`;
  if (opts.provider === 'postgresql') {
    const db = await throwawayPostgres();
    databaseUrl = db.url;
    drop = db.drop;
  }
  const port = await freePort();
  const env: Record<string, string> = {
    NODE_ENV: 'production',
    NEXT_TELEMETRY_DISABLED: '1',
    PORT: String(port),
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    DATABASE_URL: databaseUrl,
    AUTH_SECRET: randomBytes(32).toString('hex'),
    ...opts.env,
  };
  if (opts.migrate !== false) deployMigrations(env.DATABASE_URL ?? databaseUrl);

  let child: ChildProcess | undefined;
  let out = '';
  const launch = async () => {
    child = spawn(process.execPath, serverArgs, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (d) => {
      out += d;
    });
    child.stderr?.on('data', (d) => {
      out += d;
    });
    await waitUntilUp(`http://127.0.0.1:${port}`, child, () => out, opts.waitFor ?? 'healthy');
  };
  const exited = () =>
    new Promise<void>((resolve) => {
      if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
    });
  await launch();
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    env,
    output: () => out,
    stop: async () => {
      child?.kill('SIGTERM');
      await exited();
    },
    kill: async () => {
      child?.kill('SIGKILL');
      await exited();
    },
    restart: launch,
    cleanup: async () => {
      child?.kill('SIGKILL');
      await exited();
      await drop?.();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function waitUntilUp(url: string, child: ChildProcess, output: () => string, mode: 'healthy' | 'listening') {
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${output()}`);
    try {
      const res = await fetch(`${url}/api/health`);
      if (mode === 'listening' || res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`server did not come up within 90 s:\n${output()}`);
}

/** Runs the server once and returns how it exited (for configuration errors). */
export function runServerExpectingExit(env: Record<string, string>): { code: number | null; output: string } {
  const r = spawnSync(process.execPath, serverArgs, {
    cwd: root,
    env: { ...process.env, NODE_ENV: 'production', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, output: `${r.stdout}${r.stderr}` };
}

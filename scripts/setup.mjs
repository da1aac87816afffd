// Set-up steps shared by `npm start` and `npm test` (scripts/start.mjs, scripts/test.mjs).
// Plain Node with no dependencies: it runs before node_modules exists on a fresh machine.
// Every step is skipped when its inputs have not changed (a content hash stored beside its output).
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';

export const root = path.resolve(import.meta.dirname, '..');

const t0 = Date.now();
const secs = (ms) => `${(ms / 1000).toFixed(1)} s`;
export function step(msg) {
  console.log(`[setup +${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}`);
}

/** Where the set-up commands' full output goes (npm ci, prisma, next build, …); the console gets one line per step. */
export const logDir = path.resolve(root, process.env.DATA_DIR ?? 'data', 'logs');
export const setupLog = path.join(logDir, 'setup.log');
let logFd = null;
function log() {
  if (logFd === null) {
    mkdirSync(logDir, { recursive: true });
    logFd = openSync(setupLog, 'w');
  }
  return logFd;
}
/** A path as the reader types it: relative when inside the working directory, else absolute. */
export const rel = (p) => {
  const r = path.relative(process.cwd(), p);
  return r && !r.startsWith('..') ? r : p;
};

/**
 * One set-up step: prints its name, runs it, prints how long it took ("  ✓ building the app  74.2 s").
 * `fn` returns an optional word that replaces the name when the step had nothing to do.
 */
export function task(name, fn) {
  const started = Date.now();
  if (process.stdout.isTTY) process.stdout.write(`  … ${name}\r`);
  writeSync(log(), `\n=== ${name}\n`);
  const said = fn();
  const line = `  ✓ ${typeof said === 'string' ? said : name}`;
  console.log(`${line.padEnd(48)} ${secs(Date.now() - started).padStart(7)}`);
}

/**
 * Runs a set-up command with its output in the log file; on failure prints the end of that output
 * and where the rest is, and exits with the command's code.
 */
export function runLogged(cmd, args, opts = {}) {
  const fd = log();
  writeSync(fd, `$ ${[cmd, ...args].join(' ')}\n`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: ['ignore', fd, fd], ...opts, env: { ...process.env, ...opts.env } });
  if (r.status === 0) return;
  closeSync(fd);
  logFd = null;
  const tail = readFileSync(setupLog, 'utf8').trimEnd().split('\n').slice(-40).join('\n');
  console.error(
    `\n${tail}\n\n[setup] \`${[cmd, ...args].join(' ')}\` failed (exit ${r.status ?? r.signal ?? r.error?.message}). Full output: ${rel(setupLog)}`,
  );
  process.exit(r.status ?? 1);
}

/** Runs a command (argument array, inherited stdio); exits the process with its code on failure. */
export function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts, env: { ...process.env, ...opts.env } });
  if (r.error) {
    console.error(`[setup] could not run ${cmd}: ${r.error.message}`);
    process.exit(1);
  }
  if (r.status !== 0) {
    console.error(`[setup] \`${[cmd, ...args].join(' ')}\` failed (exit ${r.status ?? r.signal})`);
    process.exit(r.status ?? 1);
  }
}

function sha(parts) {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex');
}

/** Hash of every file under the given paths (relative to root), names and contents. */
export function treeHash(paths) {
  const files = [];
  const walk = (p) => {
    const abs = path.join(root, p);
    if (!existsSync(abs)) return;
    const st = statSync(abs);
    if (st.isDirectory()) {
      for (const e of readdirSync(abs).sort()) {
        if (e === 'node_modules' || e === 'generated' || e.startsWith('.')) continue;
        walk(path.join(p, e));
      }
    } else files.push(p);
  };
  for (const p of paths) walk(p);
  return sha(files.flatMap((f) => [f, '\0', readFileSync(path.join(root, f)), '\0']));
}

function stamped(file, hash) {
  return existsSync(file) && readFileSync(file, 'utf8').trim() === hash;
}

export function checkNode() {
  const [maj, min] = process.versions.node.split('.').map(Number);
  if (maj < 20 || (maj === 20 && min < 19)) {
    console.error(`[setup] Node ${process.versions.node} is too old: Kernel Map needs Node 20.19 or newer.`);
    process.exit(1);
  }
}

/** `npm ci` when node_modules is missing or was installed from another package-lock.json. */
export function ensureDependencies() {
  const lockHash = sha([readFileSync(path.join(root, 'package-lock.json'))]);
  const marker = path.join(root, 'node_modules', '.km-lock-sha');
  task('installing dependencies (npm ci)', () => {
    if (stamped(marker, lockHash)) return 'dependencies up to date';
    runLogged('npm', ['ci', '--no-audit', '--no-fund'], { env: { CHECKPOINT_DISABLE: '1' } });
    writeFileSync(marker, lockHash);
  });
}

/** Both Prisma clients (SQLite and PostgreSQL), regenerated when the data model changes. */
export function ensurePrismaClients() {
  const hash = treeHash(['prisma/models.prisma', 'prisma/sqlite/schema.prisma', 'prisma/postgresql/schema.prisma', 'package-lock.json']);
  const marker = path.join(root, 'lib', 'db', 'generated', '.km-models-sha');
  task('generating database clients (prisma generate)', () => {
    if (stamped(marker, hash)) return 'database clients up to date';
    runLogged('npm', ['run', '--silent', 'db:generate']);
    mkdirSync(path.dirname(marker), { recursive: true });
    writeFileSync(marker, hash);
  });
}

/** A random AUTH_SECRET kept in the data folder (mode 0600), made on first start. */
export function ensureAuthSecret() {
  if (process.env.AUTH_SECRET) return;
  const dataDir = path.resolve(root, process.env.DATA_DIR ?? 'data');
  mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, 'auth-secret');
  if (!existsSync(file)) {
    writeFileSync(file, randomBytes(48).toString('base64url'), { mode: 0o600 });
    chmodSync(file, 0o600);
    console.log(`  ✓ created a session-signing secret in ${path.relative(root, file)}`);
  }
  process.env.AUTH_SECRET = readFileSync(file, 'utf8').trim();
}

/**
 * Applies migrations to the configured database (SQLite file by default), unless the database's own
 * record (_prisma_migrations) already lists every migration with the same checksum — asking it takes
 * milliseconds, starting the Prisma CLI ~15 s.
 */
export async function ensureMigrated() {
  const postgres = /^postgres(ql)?:\/\//.test(process.env.DATABASE_URL ?? '');
  const upToDate = await migrationsApplied(postgres).catch(() => false);
  task(`applying database migrations (${postgres ? 'PostgreSQL' : 'SQLite'})`, () => {
    if (upToDate) return 'database schema up to date';
    runLogged('npm', ['run', '--silent', 'db:deploy']);
  });
}

async function migrationsApplied(postgres) {
  const dir = path.join(root, 'prisma', postgres ? 'postgresql' : 'sqlite', 'migrations');
  const wanted = readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => `${e.name}:${sha([readFileSync(path.join(dir, e.name, 'migration.sql'))])}`);
  const query = 'SELECT migration_name, checksum FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL';
  let rows;
  if (postgres) {
    const { default: pg } = await import('pg');
    const c = new pg.Client({ connectionString: process.env.DATABASE_URL, connectionTimeoutMillis: 3000 });
    await c.connect();
    try {
      rows = (await c.query(query)).rows;
    } finally {
      await c.end();
    }
  } else {
    const url = process.env.DATABASE_URL ?? `file:${path.join(process.env.DATA_DIR || 'data', 'kernel-map.db')}`;
    const file = path.resolve(url.slice('file:'.length));
    if (!existsSync(file)) return false;
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      rows = db.prepare(query).all();
    } finally {
      db.close();
    }
  }
  const have = new Set(rows.map((r) => `${r.migration_name}:${r.checksum}`));
  return wanted.every((w) => have.has(w)) && rows.length === wanted.length;
}

/** `next build` when the app's sources changed since the last build. */
export function ensureBuild() {
  const hash = treeHash(['app', 'lib', 'proxy.ts', 'next.config.mjs', 'tsconfig.json', 'package-lock.json', 'prisma/models.prisma']);
  const marker = path.join(root, '.next', 'km-build-sha');
  task('building the app (next build, a few minutes)', () => {
    if (stamped(marker, hash)) return 'production build up to date';
    runLogged('npx', ['next', 'build'], { env: { NEXT_TELEMETRY_DISABLED: '1' } });
    writeFileSync(marker, hash);
  });
}

/** Debian's chromium for the browser tests: installed with apt when we are root, else explained. */
export function ensureChromium() {
  if (existsSync('/usr/bin/chromium')) return;
  if (process.getuid?.() !== 0) {
    console.error(
      "[setup] The browser tests need Debian's chromium. Install it with:\n    sudo apt-get update && sudo apt-get install -y chromium",
    );
    process.exit(1);
  }
  console.log('  … installing chromium from Debian (apt-get)');
  run('apt-get', ['update', '-q']);
  run('apt-get', ['install', '-y', '-q', '--no-install-recommends', 'chromium'], { env: { DEBIAN_FRONTEND: 'noninteractive' } });
}

/**
 * The lab VM images and snapshots (npm run labs:images: cached by content hash, rebuilt only when
 * an input changes; installs QEMU and the other host packages as root, else prints the apt command).
 * In the foreground, for the tests; failure stops the run.
 */
export function ensureLabImages() {
  task('lab VM images (npm run labs:images)', () => runLogged('npm', ['run', '--silent', 'labs:images']));
}

/**
 * Builds (or checks) the lab VM images in a background process while the server starts: the app is
 * usable at once, and the Labs page shows the build's progress until the server picks the images up.
 * Output goes to data/logs/labs-images.log.
 */
export function startLabImagesInBackground() {
  mkdirSync(logDir, { recursive: true });
  const file = path.join(logDir, 'labs-images.log');
  const fd = openSync(file, 'w');
  const child = spawn('npm', ['run', '--silent', 'labs:images', '--', '--log', rel(file)], {
    cwd: root,
    stdio: ['ignore', fd, fd],
    env: process.env,
  });
  closeSync(fd);
  const started = Date.now();
  child.on('exit', (code, signal) => {
    if (signal) return; // stopped with the server
    if (code === 0) console.log(`  ✓ lab VM images ready (background, ${secs(Date.now() - started)})`);
    else console.warn(`  ✗ lab VM images could not be built (exit ${code}): the Labs page says why; full output: ${rel(file)}`);
  });
  return { child, log: file };
}

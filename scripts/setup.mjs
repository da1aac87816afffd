// Set-up steps shared by `npm start` and `npm test` (scripts/start.mjs, scripts/test.mjs).
// Plain Node with no dependencies: it runs before node_modules exists on a fresh machine.
// Every step is skipped when its inputs have not changed (a content hash stored beside its output).
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const root = path.resolve(import.meta.dirname, '..');

const t0 = Date.now();
export function step(msg) {
  console.log(`[setup +${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}`);
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
  if (stamped(marker, lockHash)) return step('dependencies up to date');
  step('installing dependencies (npm ci; builds better-sqlite3 from source, ~2 min on a fresh machine)');
  run('npm', ['ci', '--no-audit', '--no-fund'], { env: { CHECKPOINT_DISABLE: '1' } });
  writeFileSync(marker, lockHash);
}

/** Both Prisma clients (SQLite and PostgreSQL), regenerated when the data model changes. */
export function ensurePrismaClients() {
  const hash = treeHash(['prisma/models.prisma', 'prisma/sqlite/schema.prisma', 'prisma/postgresql/schema.prisma', 'package-lock.json']);
  const marker = path.join(root, 'lib', 'db', 'generated', '.km-models-sha');
  if (stamped(marker, hash)) return step('database clients up to date');
  step('generating database clients (prisma generate)');
  run('npm', ['run', '--silent', 'db:generate']);
  mkdirSync(path.dirname(marker), { recursive: true });
  writeFileSync(marker, hash);
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
    step(`created a session-signing secret in ${path.relative(root, file)}`);
  }
  process.env.AUTH_SECRET = readFileSync(file, 'utf8').trim();
}

/** Applies migrations to the configured database (SQLite file by default). */
export function ensureMigrated() {
  step(`applying database migrations (${process.env.DATABASE_URL?.startsWith('postgres') ? 'PostgreSQL' : 'SQLite'})`);
  run('npm', ['run', '--silent', 'db:deploy']);
}

/** `next build` when the app's sources changed since the last build. */
export function ensureBuild() {
  const hash = treeHash(['app', 'lib', 'proxy.ts', 'next.config.mjs', 'tsconfig.json', 'package-lock.json', 'prisma/models.prisma']);
  const marker = path.join(root, '.next', 'km-build-sha');
  if (stamped(marker, hash)) return step('production build up to date');
  step('building the app (next build)');
  run('npx', ['next', 'build'], { env: { NEXT_TELEMETRY_DISABLED: '1' } });
  writeFileSync(marker, hash);
}

/** Debian's chromium for the browser tests: installed with apt when we are root, else explained. */
export function ensureChromium() {
  if (existsSync('/usr/bin/chromium')) return step('chromium present');
  if (process.getuid?.() !== 0) {
    console.error(
      "[setup] The browser tests need Debian's chromium. Install it with:\n    sudo apt-get update && sudo apt-get install -y chromium",
    );
    process.exit(1);
  }
  step('installing chromium from Debian (apt-get)');
  run('apt-get', ['update', '-q']);
  run('apt-get', ['install', '-y', '-q', '--no-install-recommends', 'chromium'], { env: { DEBIAN_FRONTEND: 'noninteractive' } });
}

/**
 * The lab VM images and snapshots (npm run labs:images: cached by content hash, rebuilt only when
 * an input changes; installs QEMU and the other host packages as root, else prints the apt command).
 * `required: false` (npm start) keeps serving without labs when they cannot be built here.
 */
export function ensureLabImages({ required }) {
  step('lab VM images (npm run labs:images)');
  const r = spawnSync('npm', ['run', '--silent', 'labs:images'], { cwd: root, stdio: 'inherit', env: process.env });
  if (r.status === 0) return;
  if (required) {
    console.error(`[setup] building the lab VM images failed (exit ${r.status ?? r.signal})`);
    process.exit(r.status ?? 1);
  }
  console.warn('[setup] the lab VM images could not be built: the app starts without labs (the Labs page says why).');
}

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createDb, type Db } from '@/lib/db';
import { runPrisma } from '@/scripts/db-cli';

/** `npm run user:role -- <email> <role>`: how the first admin is made, on a real database file. */
describe('user:role', () => {
  let dir: string;
  let url: string;
  let db: Db;
  const run = (...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'scripts/user-role.ts', ...args], {
      env: { ...process.env, DATABASE_URL: url },
      encoding: 'utf8',
    });

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'km-role-'));
    url = `file:${path.join(dir, 'kernel-map.db')}`;
    const deploy = runPrisma(['migrate', 'deploy'], { databaseUrl: url, capture: true });
    expect(deploy.code, deploy.stdout + deploy.stderr).toBe(0);
    db = createDb(url);
    await db.user.create({ data: { id: 'u-first', email: 'first@example.test', name: 'First' } });
  });

  afterAll(async () => {
    await db.$disconnect();
    rmSync(dir, { recursive: true, force: true });
  });

  test('makes an existing account an admin and says what changed', async () => {
    const r = run('First@example.test', 'admin');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('student → admin');
    expect((await db.user.findUnique({ where: { id: 'u-first' } }))?.role).toBe('admin');
  });

  test('refuses an unknown role (exit 2) and an unknown email (exit 1), changing nothing', async () => {
    const bad = run('first@example.test', 'root');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('"root" is not a role: use one of student, instructor, admin.');
    const missing = run('nobody@example.test', 'admin');
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('No account has the email nobody@example.test');
    expect((await db.user.findUnique({ where: { id: 'u-first' } }))?.role).toBe('admin');
  });
});

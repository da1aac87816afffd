import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeBuildStatus } from '@/lib/vm';

/**
 * `npm start` serves the app while the lab images build in the background: the server must say how
 * far the build is, and start using the images once they exist, without a restart. This runs the
 * real lab runtime (lib/labs) in a scratch working directory whose image cache starts empty, then
 * receives the images this repository built (the same files, as a finished build leaves them).
 */
// The lab runtime reads the server's configuration (DATA_DIR for its run directory), which needs a secret.
process.env.AUTH_SECRET ??= 'labs-pickup-test-secret-0123456789abcdef';

const repoCache = path.resolve(import.meta.dirname, '..', '..', '.cache', 'labs');
const scratch = mkdtempSync(path.join(tmpdir(), 'km-pickup-'));
const cacheDir = path.join(scratch, '.cache', 'labs');

describe('lab images built after the server started', () => {
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it.skipIf(!existsSync(path.join(repoCache, 'current.json')))(
    'shows the build step, then picks the images up without a restart',
    async () => {
      const cwd = process.cwd();
      process.chdir(scratch);
      try {
        const labs = await import('@/lib/labs');
        mkdirSync(cacheDir, { recursive: true });
        await writeBuildStatus(cacheDir, {
          state: 'building',
          step: 5,
          total: 17,
          what: 'x86_64: download 131 packages',
          pid: process.pid,
          updatedAt: new Date().toISOString(),
        });
        expect(await labs.labsUnavailableReason()).toBe(
          'Preparing lab machines: step 5/17 (x86_64: download 131 packages). This page updates when they are ready.',
        );
        expect(await labs.labsPreparing()).toBe(true);

        // The build finishes: current.json (absolute paths to the image files) appears.
        cpSync(path.join(repoCache, 'current.json'), path.join(cacheDir, 'current.json'));
        await writeBuildStatus(cacheDir, { state: 'ready', step: 17, total: 17, what: 'ready', pid: process.pid, updatedAt: '' });
        await new Promise((r) => setTimeout(r, 1100)); // the runtime looks again at most once a second
        expect(await labs.labsUnavailableReason()).toBeNull();
        expect(await labs.labsPreparing()).toBe(false);
        await labs.shutdownLabs();
      } finally {
        process.chdir(cwd);
      }
    },
  );

  it('says when the build failed, and where its output is', async () => {
    const other = path.join(scratch, 'failed');
    await writeBuildStatus(other, {
      state: 'building',
      step: 2,
      total: 17,
      what: 'x86_64: resolve packages',
      pid: 2 ** 22 + 12345, // no such process: the build died
      updatedAt: '',
      log: 'data/logs/labs-images.log',
    });
    const { readBuildStatus } = await import('@/lib/vm');
    expect(await readBuildStatus(other)).toMatchObject({ state: 'failed', error: 'the build stopped', log: 'data/logs/labs-images.log' });
  });
});

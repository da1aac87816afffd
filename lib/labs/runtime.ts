import os from 'node:os';
import path from 'node:path';
import { env } from '@/lib/env';
import { AppError } from '@/lib/errors';
import { defaultCacheDir, LabSessionManager, loadCurrentImages, QemuBackend } from '@/lib/vm';
import { closeSessionsLeftByPreviousServer, databaseRecorder } from './recording';

/**
 * The one session manager of this process, shared by route handlers and the terminal socket
 * through globalThis (server.ts and Next's bundle each load their own copy of this module).
 */

/** Which host's runner holds a session's VM (one per server process here; README, scaling out). */
export const RUNNER_ID = `${os.hostname()}:local`;

interface LabRuntime {
  manager: LabSessionManager | null;
  /** Why labs cannot run here (images missing, QEMU missing), shown on the Labs page. */
  unavailable: string | null;
  ready: Promise<void>;
}
const globalForLabs = globalThis as unknown as { kernelMapLabs?: LabRuntime };

/**
 * Sets up the lab runtime once per process: kills VMs a previous server left behind, closes
 * their records, loads the images `npm start` built, and creates the session manager with the
 * database recorder. Safe to call from anywhere.
 */
export function initLabs(): Promise<void> {
  if (!globalForLabs.kernelMapLabs) {
    const runtime: LabRuntime = { manager: null, unavailable: 'Lab VMs are starting up.', ready: Promise.resolve() };
    runtime.ready = (async () => {
      const cacheDir = defaultCacheDir(process.cwd());
      // Runtime state is this server's: under its DATA_DIR, so a second server from the same
      // checkout (another DATA_DIR and port) never sees — or kills — this one's VMs.
      const runDir = labRunDir(env().DATA_DIR);
      await QemuBackend.cleanOrphans(runDir);
      // The database may be down at start; /api/health reports that.
      await closeSessionsLeftByPreviousServer(RUNNER_ID, new Date()).catch(() => {});
      const images = await loadCurrentImages(cacheDir);
      if (!images) {
        runtime.unavailable = 'The lab VM images are not built on this server. Run `npm run labs:images` (npm start does it) and restart.';
        return;
      }
      runtime.manager = new LabSessionManager({ backend: new QemuBackend({ images, runDir }), recorder: databaseRecorder(RUNNER_ID) });
      runtime.unavailable = null;
    })().catch((err: unknown) => {
      runtime.unavailable = `Lab VMs cannot run here: ${err instanceof Error ? err.message : String(err)}`;
    });
    globalForLabs.kernelMapLabs = runtime;
  }
  return globalForLabs.kernelMapLabs.ready;
}

/** Where this server keeps its VMs' sockets, pidfiles and disks. */
export function labRunDir(dataDir: string): string {
  return path.resolve(dataDir, 'labs-run');
}

/** Stops every VM (server shutdown). */
export async function shutdownLabs(): Promise<void> {
  await globalForLabs.kernelMapLabs?.manager?.shutdown();
}

/** This process's session manager; `unavailable` (503) with the reason when labs cannot run. */
export async function sessionManager(): Promise<LabSessionManager> {
  await initLabs();
  const rt = globalForLabs.kernelMapLabs;
  if (!rt?.manager) throw new AppError('unavailable', rt?.unavailable ?? 'Lab VMs are not available on this server.');
  return rt.manager;
}

/** Why labs are unavailable on this server, or null when they work. */
export async function labsUnavailableReason(): Promise<string | null> {
  await initLabs();
  return globalForLabs.kernelMapLabs?.unavailable ?? null;
}

import os from 'node:os';
import path from 'node:path';
import { env } from '@/lib/env';
import { AppError } from '@/lib/errors';
import { defaultCacheDir, LabSessionManager, loadCurrentImages, QemuBackend, readBuildStatus } from '@/lib/vm';
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
  /** When the images were last looked for (they may be built in the background after start). */
  lastLookMs: number;
}
const globalForLabs = globalThis as unknown as { kernelMapLabs?: LabRuntime };

const CACHE_DIR = defaultCacheDir(process.cwd());

/**
 * Sets up the lab runtime once per process: kills VMs a previous server left behind, closes
 * their records, loads the images `npm start` built, and creates the session manager with the
 * database recorder. Safe to call from anywhere. `npm start` builds the images in the background
 * on a first start; until they exist, each call (at most once a second) looks again, so the server
 * picks them up without a restart.
 */
export function initLabs(): Promise<void> {
  if (!globalForLabs.kernelMapLabs) {
    const runtime: LabRuntime = { manager: null, unavailable: 'Lab VMs are starting up.', ready: Promise.resolve(), lastLookMs: 0 };
    runtime.ready = (async () => {
      // Runtime state is this server's: under its DATA_DIR, so a second server from the same
      // checkout (another DATA_DIR and port) never sees — or kills — this one's VMs.
      await QemuBackend.cleanOrphans(labRunDir(env().DATA_DIR));
      // The database may be down at start; /api/health reports that.
      await closeSessionsLeftByPreviousServer(RUNNER_ID, new Date()).catch(() => {});
      await lookForImages(runtime);
    })().catch((err: unknown) => {
      runtime.unavailable = `Lab VMs cannot run here: ${err instanceof Error ? err.message : String(err)}`;
    });
    globalForLabs.kernelMapLabs = runtime;
  }
  const runtime = globalForLabs.kernelMapLabs;
  if (!runtime.manager && Date.now() - runtime.lastLookMs > 1000) {
    runtime.ready = runtime.ready.then(() => (runtime.manager ? undefined : lookForImages(runtime)));
  }
  return runtime.ready;
}

async function lookForImages(runtime: LabRuntime): Promise<void> {
  runtime.lastLookMs = Date.now();
  try {
    const images = await loadCurrentImages(CACHE_DIR);
    if (images) {
      runtime.manager = new LabSessionManager({
        backend: new QemuBackend({ images, runDir: labRunDir(env().DATA_DIR) }),
        recorder: databaseRecorder(RUNNER_ID),
      });
      runtime.unavailable = null;
      return;
    }
    const build = await readBuildStatus(CACHE_DIR);
    runtime.unavailable =
      build?.state === 'building'
        ? `Preparing lab machines: step ${build.step}/${build.total || '…'} (${build.what}). This page updates when they are ready.`
        : build?.state === 'failed'
          ? `The lab machines could not be built: ${build.error ?? 'unknown error'}.${build.log ? ` The full output is in ${build.log} on the server.` : ''}`
          : 'The lab VM images are not built on this server. Run `npm run labs:images` (npm start does it).';
  } catch (err) {
    runtime.unavailable = `Lab VMs cannot run here: ${err instanceof Error ? err.message : String(err)}`;
  }
}

/** True while lab images are being built in the background (the Labs pages refresh themselves). */
export async function labsPreparing(): Promise<boolean> {
  await initLabs();
  return !globalForLabs.kernelMapLabs?.manager && (await readBuildStatus(CACHE_DIR))?.state === 'building';
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

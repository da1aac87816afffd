import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { getDb } from '@/lib/db';
import { AppError } from '@/lib/errors';
import {
  type Arch,
  ArchSchema,
  defaultCacheDir,
  LabIdSchema,
  type LabSession,
  LabSessionManager,
  loadCurrentImages,
  QemuBackend,
  type SessionInfo,
} from '@/lib/labs';

/**
 * The web side of labs: the catalog of labs/<id>/lab.yaml, and the one session manager of this
 * process (shared by route handlers and the terminal socket through globalThis, because server.ts
 * and Next's bundle each load their own copy of this module).
 */

const LABS_ROOT = path.join(process.cwd(), 'labs');

export const labManifestSchema = z.object({
  id: LabIdSchema,
  title: z.string().min(1),
  arches: z.array(ArchSchema).min(1),
  user: z.enum(['student', 'root']).default('student'),
  resources: z.object({ memoryMiB: z.number().int().min(64).max(2048).default(256) }).default({ memoryMiB: 256 }),
  /**
   * A fresh ext4 disk per session, mounted at /mnt/lab, seeded from labs/<id>/<seed>/ (a folder
   * name, no path separators). Durability labs are graded by cutting the power and reading it.
   */
  disk: z
    .strictObject({
      seed: z
        .string()
        .regex(/^[a-z0-9][a-z0-9-]{0,47}$/)
        .optional(),
    })
    .optional(),
  tasks: z.array(z.looseObject({ id: z.string(), title: z.string() })).default([]),
});
export type LabManifest = z.infer<typeof labManifestSchema> & {
  brief: string | null;
  /** labs/<id>/setup: a POSIX sh script run as root in the VM before the learner gets the shell. */
  setup: string | null;
};

/** Every lab under labs/ (folders with a lab.yaml), sorted by id. Throws naming a broken manifest. */
export function listLabs(): LabManifest[] {
  const labs: LabManifest[] = [];
  let dirs: string[] = [];
  try {
    dirs = readdirSync(LABS_ROOT, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
  } catch {
    return labs;
  }
  for (const dir of dirs) {
    let raw: string;
    try {
      raw = readFileSync(path.join(LABS_ROOT, dir, 'lab.yaml'), 'utf8');
    } catch {
      continue;
    }
    const parsed = labManifestSchema.safeParse(parseYaml(raw));
    if (!parsed.success)
      throw new Error(`labs/${dir}/lab.yaml: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    if (parsed.data.id !== dir) throw new Error(`labs/${dir}/lab.yaml: id "${parsed.data.id}" must equal its folder name`);
    labs.push({
      ...parsed.data,
      brief: readOptional(path.join(LABS_ROOT, dir, 'README.md')),
      setup: readOptional(path.join(LABS_ROOT, dir, 'setup')),
    });
  }
  return labs;
}

function readOptional(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

export function getLab(labId: string): LabManifest {
  const lab = listLabs().find((l) => l.id === labId);
  if (!lab) throw new AppError('not_found', `There is no lab "${labId}".`);
  return lab;
}

// ── The session manager of this process ─────────────────────────────────────────────────────

/** Which host's runner holds a session's VM (one per server process here; see README, scaling out). */
const RUNNER_ID = `${os.hostname()}:local`;

interface LabRuntime {
  manager: LabSessionManager | null;
  /** Why labs cannot run here (images missing, QEMU missing), shown on the Labs page. */
  unavailable: string | null;
  ready: Promise<void>;
}
const globalForLabs = globalThis as unknown as { kernelMapLabs?: LabRuntime };

/**
 * Sets up the lab runtime once per process: kills VMs a previous server left behind, loads the
 * images `npm start` built, and creates the session manager. Safe to call from anywhere.
 */
export function initLabs(): Promise<void> {
  if (!globalForLabs.kernelMapLabs) {
    const runtime: LabRuntime = { manager: null, unavailable: 'Lab VMs are starting up.', ready: Promise.resolve() };
    runtime.ready = (async () => {
      const cacheDir = defaultCacheDir(process.cwd());
      const runDir = path.join(cacheDir, 'run');
      await QemuBackend.cleanOrphans(runDir);
      // VMs die with the server: sessions this runner recorded as live ended when it last stopped.
      await getDb()
        .labSession.updateMany({
          where: { runnerId: RUNNER_ID, status: { not: 'ended' } },
          data: { status: 'ended', endReason: 'server-restart', endedAt: new Date() },
        })
        .catch(() => {}); // the database may be down at start; /api/health reports that
      const images = await loadCurrentImages(cacheDir);
      if (!images) {
        runtime.unavailable = 'The lab VM images are not built on this server. Run `npm run labs:images` (npm start does it) and restart.';
        return;
      }
      runtime.manager = new LabSessionManager({ backend: new QemuBackend({ images, runDir }) });
      runtime.unavailable = null;
    })().catch((err: unknown) => {
      runtime.unavailable = `Lab VMs cannot run here: ${err instanceof Error ? err.message : String(err)}`;
    });
    globalForLabs.kernelMapLabs = runtime;
  }
  return globalForLabs.kernelMapLabs.ready;
}

/** Stops every VM (server shutdown). */
export async function shutdownLabs(): Promise<void> {
  await globalForLabs.kernelMapLabs?.manager?.shutdown();
}

async function manager(): Promise<LabSessionManager> {
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

/** What the browser gets about a session. */
export interface LabSessionView {
  id: string;
  labId: string;
  arch: Arch;
  state: 'starting' | 'running' | 'ended';
  endReason: string | null;
  expiresAt: string;
  msLeft: number;
  startMs: number | null;
}

function view(info: SessionInfo): LabSessionView {
  return {
    id: info.id,
    labId: info.labId,
    arch: info.arch,
    state: info.state,
    endReason: info.endReason ?? null,
    expiresAt: new Date(info.expiresAt).toISOString(),
    msLeft: info.msLeft,
    startMs: info.startMs ?? null,
  };
}

/**
 * Maps the runner's typed errors onto the app's. Recognised by `code`, not `instanceof`: the
 * manager may have been created by server.ts's copy of lib/labs and a route uses Next's copy.
 */
function translate(err: unknown): never {
  const e = err as { name?: unknown; code?: unknown; retryAfterMinutes?: unknown; message?: unknown };
  const isLabError =
    err instanceof Error && typeof e.code === 'string' && /^(LabError|LabsFullError|LearnerLimitError)$/.test(String(e.name));
  if (!isLabError) throw err;
  switch (e.code) {
    case 'learner_limit':
      throw new AppError('conflict', 'You already have a lab VM running. Stop it (or reset it) first.');
    case 'labs_full': {
      const wait = typeof e.retryAfterMinutes === 'number' ? e.retryAfterMinutes : 5;
      throw new AppError('unavailable', `Labs are full — try again in about ${wait} min.`, { retryAfterSeconds: wait * 60 });
    }
    case 'invalid_request':
      throw new AppError('invalid_input', String(e.message));
    case 'not_found':
    case 'session_ended':
      throw new AppError('not_found', 'That lab session does not exist or has ended.');
    case 'invalid_state':
      throw new AppError('conflict', String(e.message));
    case 'images_missing':
      throw new AppError('unavailable', 'The lab VM images are not built on this server.');
    default:
      throw new AppError('unavailable', `The lab VM did not start: ${String(e.message)}`);
  }
}

/**
 * Starts a VM for (learner, lab, arch), or returns the learner's running session for the same lab
 * and arch (so a reload or a second click does not start another).
 */
export async function startLabSession(learnerId: string, labId: string, arch: Arch): Promise<LabSessionView> {
  const lab = getLab(labId);
  if (!lab.arches.includes(arch)) throw new AppError('invalid_input', `Lab "${labId}" does not run on ${arch}.`);
  const m = await manager();
  const existing = m.listForLearner(learnerId).find((s) => s.state !== 'ended' && s.labId === labId && s.arch === arch);
  if (existing) return view(existing);
  let session: LabSession;
  try {
    const disk = lab.disk ? { seedDir: lab.disk.seed ? path.join(LABS_ROOT, lab.id, lab.disk.seed) : undefined } : undefined;
    session = await m.start({ learnerId, labId, arch, user: lab.user, disk });
  } catch (err) {
    translate(err);
  }
  if (lab.setup) await runSetup(session, lab.setup);
  await recordSession(session);
  return view(session.info());
}

/**
 * Runs the lab's setup script as root through the agent (the script goes in on stdin, never as a
 * shell string built here). A failing setup ends the session: the learner would get a broken lab.
 */
async function runSetup(session: LabSession, script: string): Promise<void> {
  let failure: string | null = null;
  try {
    const r = await session.vm.exec(['/bin/sh', '-s'], { user: 'root', stdin: script, timeoutMs: 120_000 });
    if (r.exitCode !== 0 || r.timedOut) failure = r.timedOut ? 'timed out' : `exit ${r.exitCode}: ${r.stderr.trim().slice(-300)}`;
  } catch (err) {
    failure = err instanceof Error ? err.message : String(err);
  }
  if (failure !== null) {
    await session.vm.stop('stopped').catch(() => {});
    throw new AppError('unavailable', `The lab's setup failed in the VM (${failure}). Please report this lab.`);
  }
}

/**
 * Keeps a record of every lab session (who, which lab and arch, when, how it ended) for progress
 * and instructors; the VM itself lives only in this process.
 */
async function recordSession(session: LabSession): Promise<void> {
  const db = getDb();
  const info = session.info();
  await db.labSession.create({
    data: {
      id: session.id,
      userId: session.learnerId,
      labId: session.labId,
      arch: session.arch,
      status: 'ready',
      runnerId: RUNNER_ID,
      startedAt: new Date(info.createdAt),
      expiresAt: new Date(info.expiresAt),
    },
  });
  session.vm.onEnd((status) => {
    void db.labSession
      .update({
        where: { id: session.id },
        data: { status: 'ended', endReason: status.reason ?? 'stopped', endedAt: new Date(status.endedAt ?? Date.now()) },
      })
      .catch((err: unknown) => console.error('[kernel-map] could not record the end of lab session', session.id, err));
  });
}

export async function listLabSessions(learnerId: string): Promise<LabSessionView[]> {
  const m = await manager();
  return m.listForLearner(learnerId).map(view);
}

/** The learner's own session (another learner's id is refused). */
export async function getOwnLabSession(learnerId: string, sessionId: string): Promise<LabSession> {
  const m = await manager();
  try {
    return m.getForLearner(learnerId, sessionId);
  } catch (err) {
    translate(err);
  }
}

export async function stopLabSession(learnerId: string, sessionId: string): Promise<void> {
  const m = await manager();
  try {
    await m.stop(learnerId, sessionId);
  } catch (err) {
    translate(err);
  }
}

export async function extendLabSession(learnerId: string, sessionId: string): Promise<LabSessionView> {
  const m = await manager();
  let info: SessionInfo;
  try {
    info = m.extend(learnerId, sessionId);
  } catch (err) {
    translate(err);
  }
  await getDb().labSession.update({ where: { id: sessionId }, data: { expiresAt: new Date(info.expiresAt) } });
  return view(info);
}

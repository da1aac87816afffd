import { labSnapshotSpec } from '@/lib/content';
import { env } from '@/lib/env';
import { AppError } from '@/lib/errors';
import type { Arch } from '@/lib/schema';
import { type LabSession, type LabVm, labSetupHash, type SessionInfo } from '@/lib/vm';
import { getLab } from './catalog';
import { mapLabErrors } from './errors';
import { prepareGrading } from './grading';
import { sessionManager } from './runtime';
import { labTimeLeftToday } from './usage';

/** What the browser gets about a session. */
export interface LabSessionView {
  id: string;
  labId: string;
  arch: Arch;
  /** `starting` until the VM is up, its setup ran and the start is recorded; only then can a terminal attach. */
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
 * Starts a VM for (learner, lab, arch) and answers once it is ready: restored (from the lab's own
 * snapshot, taken after its setup, when `labs:images` made one for this setup), the per-session
 * setup and drawn truth applied, the session recorded. If the learner already has a session for the same lab and arch —
 * a reload, a second click, a second tab — that one is returned, after waiting for it to finish
 * starting if it is still being prepared.
 */
export async function startLabSession(learnerId: string, labId: string, arch: Arch, now: Date): Promise<LabSessionView> {
  const lab = getLab(labId);
  if (!lab.arches.includes(arch)) throw new AppError('invalid_input', `Lab "${labId}" does not run on ${arch}.`);
  const m = await sessionManager();
  return mapLabErrors(async () => {
    const existing = m.listForLearner(learnerId).find((s) => s.state !== 'ended' && s.labId === labId && s.arch === arch);
    if (existing) return view((await m.whenReady(learnerId, existing.id)).info());
    // The daily allowance: refused when used up, and the session cannot outlast what is left.
    const minutesPerDay = env().LAB_MINUTES_PER_DAY;
    const { msLeft, renewsAt } = await labTimeLeftToday(learnerId, minutesPerDay, now);
    if (msLeft < 60_000) {
      const wait = Math.max(1, Math.ceil((renewsAt.getTime() - now.getTime()) / 1000));
      throw new AppError(
        'rate_limited',
        `You have used today's ${minutesPerDay} lab minutes. More at 00:00 UTC (in ${Math.ceil(wait / 3600)} h).`,
        {
          retryAfterSeconds: wait,
        },
      );
    }
    const snapshotSpec = labSnapshotSpec(lab);
    const session = await m.start(
      {
        learnerId,
        labId,
        arch,
        user: lab.user,
        vcpus: lab.vcpus,
        disk: lab.disk ? { seedDir: lab.diskSeedDir ?? undefined } : undefined,
        snapshotSetup: snapshotSpec ? { hash: labSetupHash(snapshotSpec) } : undefined,
      },
      {
        // Restored from the lab's own snapshot, the snapshot-time setup is already done; only
        // the per-session part and the drawn truth remain.
        prepare: async (vm) => {
          if (lab.setup && !vm.setupFromSnapshot) await runSetup(vm, lab.setup);
          if (lab.sessionSetup) await runSetup(vm, lab.sessionSetup);
          await prepareGrading(lab.id, vm);
        },
        maxMs: msLeft,
      },
    );
    return view(session.info());
  });
}

/**
 * Runs the lab's setup script as root through the agent (the script goes in on stdin, never as a
 * shell string built here). A failing setup fails the start: the learner would get a broken lab.
 */
async function runSetup(vm: LabVm, script: string): Promise<void> {
  let failure: string | null = null;
  try {
    const r = await vm.exec(['/bin/sh', '-s'], { user: 'root', stdin: script, timeoutMs: 120_000 });
    if (r.exitCode !== 0 || r.timedOut) failure = r.timedOut ? 'timed out' : `exit ${r.exitCode}: ${r.stderr.trim().slice(-300)}`;
  } catch (err) {
    failure = err instanceof Error ? err.message : String(err);
  }
  if (failure !== null) throw new AppError('unavailable', `The lab's setup failed in the VM (${failure}). Please report this lab.`);
}

export async function listLabSessions(learnerId: string): Promise<LabSessionView[]> {
  const m = await sessionManager();
  return m.listForLearner(learnerId).map(view);
}

/** The learner's own running session (another learner's id, or one still starting, is not found). */
export async function getOwnLabSession(learnerId: string, sessionId: string): Promise<LabSession> {
  const m = await sessionManager();
  return mapLabErrors(async () => m.getForLearner(learnerId, sessionId));
}

export async function stopLabSession(learnerId: string, sessionId: string): Promise<void> {
  const m = await sessionManager();
  await mapLabErrors(() => m.stop(learnerId, sessionId));
}

/** +30 min, up to the maximum lifetime. Once the extension took effect the answer is a success. */
export async function extendLabSession(learnerId: string, sessionId: string): Promise<LabSessionView> {
  const m = await sessionManager();
  return view(await mapLabErrors(() => m.extend(learnerId, sessionId)));
}

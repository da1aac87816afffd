import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { getDb } from '@/lib/db';
import { AppError } from '@/lib/errors';
import { type GuestExec, LAB_GRADERS, type LabGrader, parseTaskResults, runChecks, type ScratchVm, type TaskResult } from '@/lib/grader';
import { boostCards } from '@/lib/srs';
import { hostCompile, type LabVm } from '@/lib/vm';
import { getLab } from './catalog';
import { mapLabErrors } from './errors';
import { sessionManager } from './runtime';

/**
 * The grader's orchestration: the per-session seed (drawn truth), the lab's session preparation,
 * the Check (evidence gathered through the agent as root, or a scratch VM for power cuts), and
 * the record of every attempt. The grading rules themselves are pure, in lib/grader.
 */

interface Graded {
  seed: string;
  /** When the learner got the shell (performance clock), for "time spent". */
  readyAt: number;
  /** One Check at a time per session: checks measure, and must not overlap. */
  busy: Promise<unknown>;
}
// Keyed by the VM object: it lives exactly as long as the session, in whichever module copy
// (server.ts or Next's bundle) started it.
const globalForGrading = globalThis as unknown as { kernelMapGrading?: WeakMap<LabVm, Graded> };
if (!globalForGrading.kernelMapGrading) globalForGrading.kernelMapGrading = new WeakMap();
const graded: WeakMap<LabVm, Graded> = globalForGrading.kernelMapGrading;

export const toGuestExec =
  (vm: LabVm): GuestExec =>
  async (argv, opts) => {
    const r = await vm.exec([...argv], {
      user: opts?.user ?? 'root',
      timeoutMs: opts?.timeoutMs,
      stdin: opts?.stdin,
      maxOutput: opts?.maxOutput,
    });
    return { exitCode: r.exitCode, signal: r.signal, timedOut: r.timedOut, stdout: r.stdout, stderr: r.stderr };
  };

/**
 * Draws this session's seed and applies the lab's per-session truth (e.g. starts the service
 * with the seed) — part of `prepare`, so it runs while the session is still `starting`.
 */
export async function prepareGrading(labId: string, vm: LabVm): Promise<void> {
  const seed = randomBytes(16).toString('hex');
  await LAB_GRADERS.get(labId)?.prepareSession?.({ seed, exec: toGuestExec(vm) });
  graded.set(vm, { seed, readyAt: performance.now(), busy: Promise.resolve() });
}

export interface LabAttemptView {
  id: string;
  checkedAt: string;
  passed: number;
  total: number;
  hintsUsed: number;
  timeSpentMs: number;
  results: TaskResult[];
}

export interface CheckInput {
  /** Task ids to check; empty: all. */
  tasks: string[];
  answers: Record<string, string>;
  /** Hints the learner has revealed so far (recorded with the attempt). */
  hintsUsed: number;
}

/**
 * Checks the learner's running session: runs the lab's graders, records the attempt, and makes
 * the flashcards linked to each failed task due again.
 */
export async function checkLabSession(learnerId: string, sessionId: string, input: CheckInput, now: Date): Promise<LabAttemptView> {
  const m = await sessionManager();
  const session = await mapLabErrors(async () => m.getForLearner(learnerId, sessionId));
  const lab = getLab(session.labId);
  const grader = LAB_GRADERS.get(lab.id);
  if (!grader) throw new AppError('not_found', `The lab "${lab.id}" has no graded tasks.`);
  const state = graded.get(session.vm);
  if (!state) throw new AppError('conflict', 'This lab session was started before grading was available; stop it and start a new one.');
  for (const t of input.tasks)
    if (!grader.tasks.some((g) => g.id === t)) throw new AppError('invalid_input', `The lab has no task "${t}".`);
  const run = state.busy.then(() => gradeOnce(grader, session.vm, session.arch, state.seed, input, lab.user, lab.id));
  state.busy = run.catch(() => {});
  const results = await mapLabErrors(() => run);
  const db = getDb();
  const attempt = await db.labAttempt.create({
    data: {
      id: randomBytes(12).toString('base64url'),
      userId: learnerId,
      labId: lab.id,
      sessionId,
      arch: session.arch,
      checkedAt: now,
      passed: results.filter((r) => r.passed).length,
      total: results.length,
      hintsUsed: input.hintsUsed,
      timeSpentMs: Math.round(performance.now() - state.readyAt),
      results: JSON.stringify(results),
    },
  });
  const failedCards = lab.tasks.filter((t) => results.some((r) => r.taskId === t.id && !r.passed)).flatMap((t) => t.cards);
  if (failedCards.length > 0) await boostCards(learnerId, [...new Set(failedCards)], now);
  return attemptView(attempt);
}

async function gradeOnce(
  grader: LabGrader,
  vm: LabVm,
  arch: 'x86_64' | 'aarch64',
  seed: string,
  input: CheckInput,
  user: 'student' | 'root',
  labId: string,
): Promise<TaskResult[]> {
  const m = await sessionManager();
  const scratch: ScratchVm[] = [];
  try {
    return await runChecks(
      grader,
      {
        arch,
        seed,
        exec: toGuestExec(vm),
        nonce: () => randomBytes(12).toString('hex'),
        now: () => performance.now(),
        hostCompile,
        scratchVm: async (files) => {
          const dir = await mkdtemp(path.join(os.tmpdir(), 'kmap-scratch-seed-'));
          try {
            for (const [name, content] of Object.entries(files)) await writeFile(path.join(dir, path.basename(name)), content);
            const s = await m.startScratch({ learnerId: 'grader', labId, arch, user, disk: { seedDir: dir } });
            const sv: ScratchVm = {
              exec: toGuestExec(s),
              powerCut: () => s.powerCut(),
              readDiskFile: async (p) => (await s.readDiskFile(p))?.toString('utf8') ?? null,
              stop: () => s.stop(),
            };
            scratch.push(sv);
            return sv;
          } finally {
            await rm(dir, { recursive: true, force: true });
          }
        },
      },
      input.answers,
      input.tasks,
    );
  } finally {
    await Promise.all(scratch.map((s) => s.stop().catch(() => {})));
  }
}

function attemptView(a: {
  id: string;
  checkedAt: Date;
  passed: number;
  total: number;
  hintsUsed: number;
  timeSpentMs: number;
  results: string;
}): LabAttemptView {
  return {
    id: a.id,
    checkedAt: a.checkedAt.toISOString(),
    passed: a.passed,
    total: a.total,
    hintsUsed: a.hintsUsed,
    timeSpentMs: a.timeSpentMs,
    results: parseTaskResults(a.results),
  };
}

/** The learner's attempts at a lab, newest first, and the tasks they have ever passed. */
export async function listLabAttempts(learnerId: string, labId: string): Promise<{ attempts: LabAttemptView[]; passedTasks: string[] }> {
  getLab(labId);
  const rows = await getDb().labAttempt.findMany({ where: { userId: learnerId, labId }, orderBy: { checkedAt: 'desc' }, take: 50 });
  const attempts = rows.map(attemptView);
  const passedTasks = [...new Set(attempts.flatMap((a) => a.results.filter((r) => r.passed).map((r) => r.taskId)))].sort();
  return { attempts, passedTasks };
}

/** A learner's record on one lab, for the Labs page. */
export interface LabProgress {
  /** Tasks passed in at least one Check (the best result: tasks are passed once for good). */
  passedTasks: string[];
  checks: number;
  lastCheckedAt: Date | null;
}

/** The learner's record on every lab they have checked, by lab id (one query). */
export async function labProgress(learnerId: string): Promise<Map<string, LabProgress>> {
  const rows = await getDb().labAttempt.findMany({
    where: { userId: learnerId },
    select: { labId: true, checkedAt: true, results: true },
    orderBy: { checkedAt: 'desc' },
  });
  const out = new Map<string, LabProgress & { passed: Set<string> }>();
  for (const r of rows) {
    let p = out.get(r.labId);
    if (!p) {
      p = { passedTasks: [], checks: 0, lastCheckedAt: r.checkedAt, passed: new Set() };
      out.set(r.labId, p);
    }
    p.checks += 1;
    for (const t of parseTaskResults(r.results)) if (t.passed) p.passed.add(t.taskId);
  }
  return new Map([...out].map(([id, { passed, ...p }]) => [id, { ...p, passedTasks: [...passed].sort() }]));
}

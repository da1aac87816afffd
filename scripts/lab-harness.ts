/**
 * Shared by `npm run test:labs` and `npm run bench:grader`: start a lab's VM the way a learner's
 * session starts (setup as root, then the grader's per-session preparation with a fresh seed),
 * put a case's files in the learner's home, and build the grader's context (agent exec as root,
 * scratch VMs for power cuts) — on the machinery directly, without the web app or a database.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { type LabDefinition, labSnapshotSpec, readLabs } from '@/lib/content';
import { type CheckContext, type GuestExec, LAB_GRADERS, type LabGrader, type ScratchVm } from '@/lib/grader';
import { type Arch, hostCompile, type LabVm, labSetupHash, type QemuBackend } from '@/lib/vm';

export const root = process.cwd();

export const toExec =
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

let counter = 0;
const sessionId = (tag: string) => `${tag}${process.pid}x${counter++}`;

export function gradedLabs(only: readonly string[] = []): { lab: LabDefinition; grader: LabGrader }[] {
  const { labs, problems } = readLabs(path.join(root, 'labs'));
  if (problems.length > 0) throw new Error(problems.map((p) => `${p.file}: ${p.message}`).join('\n'));
  return labs
    .filter((l) => LAB_GRADERS.has(l.id) && (only.length === 0 || only.includes(l.id)))
    .map((lab) => ({ lab, grader: LAB_GRADERS.get(lab.id) as LabGrader }));
}

export interface HarnessSession {
  vm: LabVm;
  exec: GuestExec;
  seed: string;
  /** The grader's context, with scratch VMs this session stops in `stop()`. */
  ctx: Omit<CheckContext, 'answer'>;
  stop(): Promise<void>;
}

/**
 * A lab VM as a learner gets it: restored (from the lab's own snapshot when it is current, else
 * the base snapshot and the setup run as root), the per-session setup and the session's truth applied.
 */
export async function startLabVm(
  backend: QemuBackend,
  lab: LabDefinition,
  grader: LabGrader,
  arch: Arch,
  tag = 'harness',
): Promise<HarnessSession> {
  const snapshotSpec = labSnapshotSpec(lab);
  const vm = await backend.start(
    {
      learnerId: tag,
      labId: lab.id,
      arch,
      user: lab.user,
      vcpus: lab.vcpus,
      ...(lab.disk ? { disk: { seedDir: lab.diskSeedDir ?? undefined } } : {}),
      ...(snapshotSpec ? { snapshotSetup: { hash: labSetupHash(snapshotSpec) } } : {}),
    },
    sessionId(tag),
  );
  const scratch: LabVm[] = [];
  try {
    const exec = toExec(vm);
    for (const script of [vm.setupFromSnapshot ? null : lab.setup, lab.sessionSetup]) {
      if (!script) continue;
      const r = await exec(['/bin/sh', '-s'], { stdin: script, timeoutMs: 120_000 });
      if (r.exitCode !== 0) throw new Error(`setup failed: ${r.stderr}`);
    }
    const seed = randomBytes(16).toString('hex');
    await grader.prepareSession?.({ seed, exec });
    const ctx: Omit<CheckContext, 'answer'> = {
      arch,
      seed,
      exec,
      nonce: () => randomBytes(12).toString('hex'),
      now: () => performance.now(),
      hostCompile,
      scratchVm: async (files) => {
        const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'kmap-harness-seed-'));
        try {
          for (const [name, content] of Object.entries(files)) await fs.writeFile(path.join(dir, path.basename(name)), content);
          const s = await backend.start(
            { learnerId: tag, labId: lab.id, arch, user: lab.user, disk: { seedDir: dir } },
            sessionId(`${tag}s`),
          );
          scratch.push(s);
          const sv: ScratchVm = {
            exec: toExec(s),
            powerCut: () => s.powerCut(),
            readDiskFile: async (p) => (await s.readDiskFile(p))?.toString('utf8') ?? null,
            stop: () => s.stop(),
          };
          return sv;
        } finally {
          await fs.rm(dir, { recursive: true, force: true });
        }
      },
    };
    return {
      vm,
      exec,
      seed,
      ctx,
      stop: async () => {
        await Promise.all(scratch.map((s) => s.stop().catch(() => {})));
        await vm.stop();
      },
    };
  } catch (err) {
    await vm.stop();
    throw err;
  }
}

/** Writes every file of `homeDir` into /home/student as the learner, keeping its mode. */
export async function placeHome(exec: GuestExec, homeDir: string): Promise<void> {
  if (!existsSync(homeDir)) return;
  for (const name of await fs.readdir(homeDir)) {
    const st = await fs.stat(path.join(homeDir, name));
    const r = await exec(['/bin/sh', '-c', 'cat > "$1" && chmod "$2" "$1"', 'sh', `/home/student/${name}`, (st.mode & 0o777).toString(8)], {
      user: 'student',
      stdin: await fs.readFile(path.join(homeDir, name), 'utf8'),
    });
    if (r.exitCode !== 0) throw new Error(`placing ${name}: ${r.stderr}`);
  }
}

export async function pool<T>(items: readonly T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) await fn(items[next++] as T);
    }),
  );
}

const ExpectSchema = z.record(z.string(), z.enum(['pass', 'fail']));

/**
 * labs/<id>/cases/<case>/case.yaml. `answers` may use `$truth` / `$wrong` (this session's drawn
 * answer for the task, or another session's) and `$truth:<task>` (another task's truth, for
 * mix-ups). `run` is a shell command run as the learner in their home before the Check; `after`
 * runs another command after the first Check and Checks its tasks again (a learner who answers,
 * then acts — e.g. releases a hung process once the answers are confirmed).
 */
export const CaseSchema = z.strictObject({
  answers: z.record(z.string(), z.string()).default({}),
  run: z.string().min(1).optional(),
  expect: ExpectSchema,
  after: z.strictObject({ run: z.string().min(1), expect: ExpectSchema }).optional(),
  /**
   * A replay: first put that case's home in place and Check with its answers (it must meet its
   * own expectations), then put this case's home back and send the very same Check again.
   */
  replayOf: z
    .string()
    .regex(/^[a-z0-9-]{1,48}$/)
    .optional(),
});

export interface LabCase {
  name: string;
  answers: Record<string, string>;
  run?: string;
  expect: Record<string, 'pass' | 'fail'>;
  after?: { run: string; expect: Record<string, 'pass' | 'fail'> };
  homeDir: string | null;
  /** Set by the proof's loader: the case this one replays (its name in case.yaml). */
  replayOf?: LabCase | string;
}

export async function readCase(lab: LabDefinition, grader: LabGrader, name: string): Promise<LabCase> {
  const dir = path.join(lab.dir, 'cases', name);
  const c = CaseSchema.parse(parseYaml(await fs.readFile(path.join(dir, 'case.yaml'), 'utf8')));
  for (const id of [...Object.keys(c.expect), ...Object.keys(c.after?.expect ?? {}), ...Object.keys(c.answers)])
    if (!grader.tasks.some((t) => t.id === id)) throw new Error(`labs/${lab.id}/cases/${name}: unknown task ${id}`);
  const home = path.join(dir, 'home');
  return { name, ...c, homeDir: existsSync(home) ? home : null };
}

/** The case's answers with `$truth`, `$wrong` and `$truth:<task>` replaced by this session's draws. */
export function resolveAnswers(grader: LabGrader, seed: string, answers: Record<string, string>): Record<string, string | undefined> {
  const drawn = grader.drawnAnswers?.(seed) ?? {};
  return Object.fromEntries(
    Object.entries(answers).map(([task, a]) => {
      if (a === '$truth') return [task, drawn[task]?.truth];
      if (a === '$wrong') return [task, drawn[task]?.wrong];
      const other = /^\$truth:([a-z0-9-]+)$/.exec(a);
      return [task, other?.[1] ? drawn[other[1]]?.truth : a];
    }),
  );
}

/** Runs a case's shell command as the learner, in their home. */
export async function runAsLearner(exec: GuestExec, command: string): Promise<void> {
  const r = await exec(['/bin/sh', '-c', `cd /home/student && ${command}`], { user: 'student', timeoutMs: 60_000 });
  if (r.exitCode !== 0) throw new Error(`case command failed (exit ${r.exitCode}): ${command}\n${r.stderr.slice(-400)}`);
}

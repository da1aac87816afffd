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
import { type LabDefinition, readLabs } from '@/lib/content';
import { type CheckContext, type GuestExec, LAB_GRADERS, type LabGrader, type ScratchVm } from '@/lib/grader';
import type { Arch, LabVm, QemuBackend } from '@/lib/vm';

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

/** A lab VM as a learner gets it: restored, setup run as root, the session's truth applied. */
export async function startLabVm(
  backend: QemuBackend,
  lab: LabDefinition,
  grader: LabGrader,
  arch: Arch,
  tag = 'harness',
): Promise<HarnessSession> {
  const vm = await backend.start(
    { learnerId: tag, labId: lab.id, arch, user: lab.user, ...(lab.disk ? { disk: { seedDir: lab.diskSeedDir ?? undefined } } : {}) },
    sessionId(tag),
  );
  const scratch: LabVm[] = [];
  try {
    const exec = toExec(vm);
    if (lab.setup) {
      const r = await exec(['/bin/sh', '-s'], { stdin: lab.setup, timeoutMs: 120_000 });
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

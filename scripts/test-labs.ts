/**
 * `npm run test:labs` — the labs' proof: boots every graded lab on both arches and shows that the
 * untouched state fails, the reference solution passes and every near-miss fails — each task as
 * its case.yaml expects. One VM per case (plus a scratch VM for power-cut checks), run in
 * parallel (LABS_PROOF_CONCURRENCY, default 3). Prints a table lab × arch × case with timings;
 * the last line is exactly `labs-proof labs=<n> arches=2 cases=<n> failed=<n>`.
 *
 * Usage: tsx scripts/test-labs.ts [lab-id…]   (LABS_PROOF_ARCHES=x86_64 to try one arch)
 */
import { randomBytes } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { type GuestExec, LAB_GRADERS, type LabGrader, runChecks, type ScratchVm, type TaskResult } from '@/lib/grader';
import { ARCHES, type Arch, ArchSchema, loadCurrentImages, QemuBackend } from '@/lib/vm';

const root = process.cwd();
const CaseSchema = z.strictObject({
  answers: z.record(z.string(), z.string()).default({}),
  expect: z.record(z.string(), z.enum(['pass', 'fail'])),
});
const LabYamlSchema = z.looseObject({
  id: z.string(),
  arches: z.array(ArchSchema),
  disk: z.object({ seed: z.string().optional() }).optional(),
});

interface Case {
  lab: string;
  name: string;
  answers: Record<string, string>;
  expect: Record<string, 'pass' | 'fail'>;
  homeDir: string | null;
}

async function loadCases(lab: string, grader: LabGrader): Promise<Case[]> {
  const dir = path.join(root, 'labs', lab, 'cases');
  const cases: Case[] = [
    { lab, name: 'untouched', answers: {}, expect: Object.fromEntries(grader.tasks.map((t) => [t.id, 'fail'])), homeDir: null },
  ];
  for (const name of (await fs.readdir(dir).catch(() => [] as string[])).sort()) {
    const c = CaseSchema.parse(parseYaml(await fs.readFile(path.join(dir, name, 'case.yaml'), 'utf8')));
    for (const id of Object.keys(c.expect))
      if (!grader.tasks.some((t) => t.id === id)) throw new Error(`labs/${lab}/cases/${name}: unknown task ${id}`);
    const home = path.join(dir, name, 'home');
    cases.push({ lab, name, answers: c.answers, expect: c.expect, homeDir: existsSync(home) ? home : null });
  }
  return cases;
}

const execOf =
  (vm: { exec: QemuVm['exec'] }): GuestExec =>
  async (argv, opts) => {
    const r = await vm.exec([...argv], {
      user: opts?.user ?? 'root',
      timeoutMs: opts?.timeoutMs,
      stdin: opts?.stdin,
      maxOutput: opts?.maxOutput,
    });
    return { exitCode: r.exitCode, signal: r.signal, timedOut: r.timedOut, stdout: r.stdout, stderr: r.stderr };
  };
type QemuVm = Awaited<ReturnType<QemuBackend['start']>>;

let vmCounter = 0;
const sessionId = () => `proof${process.pid}x${vmCounter++}`;

async function withSeedDir<T>(files: Record<string, string>, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'kmap-proof-seed-'));
  try {
    for (const [name, content] of Object.entries(files)) await fs.writeFile(path.join(dir, name), content);
    return await fn(dir);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

async function runCase(backend: QemuBackend, c: Case, arch: Arch): Promise<{ results: TaskResult[]; ms: number; ok: boolean }> {
  const grader = LAB_GRADERS.get(c.lab) as LabGrader;
  const labDir = path.join(root, 'labs', c.lab);
  const manifest = LabYamlSchema.parse(parseYaml(await fs.readFile(path.join(labDir, 'lab.yaml'), 'utf8')));
  const t0 = performance.now();
  const seedDir = manifest.disk?.seed ? path.join(labDir, manifest.disk.seed) : undefined;
  const vm = await backend.start(
    { learnerId: 'proof', labId: c.lab, arch, user: 'student', ...(manifest.disk ? { disk: { seedDir } } : {}) },
    sessionId(),
  );
  const scratch: ScratchVm[] = [];
  try {
    const exec = execOf(vm);
    const setup = path.join(labDir, 'setup');
    if (existsSync(setup)) {
      const r = await exec(['/bin/sh', '-s'], { stdin: await fs.readFile(setup, 'utf8'), timeoutMs: 120_000 });
      if (r.exitCode !== 0) throw new Error(`setup failed: ${r.stderr}`);
    }
    const seed = randomBytes(16).toString('hex');
    await grader.prepareSession?.({ seed, exec });
    // The learner's side of the case: files in their home, written as the learner.
    if (c.homeDir) {
      for (const name of await fs.readdir(c.homeDir)) {
        const st = await fs.stat(path.join(c.homeDir, name));
        const r = await exec(
          ['/bin/sh', '-c', 'cat > "$1" && chmod "$2" "$1"', 'sh', `/home/student/${name}`, (st.mode & 0o777).toString(8)],
          {
            user: 'student',
            stdin: await fs.readFile(path.join(c.homeDir, name), 'utf8'),
          },
        );
        if (r.exitCode !== 0) throw new Error(`placing ${name}: ${r.stderr}`);
      }
    }
    const drawn = grader.drawnAnswers?.(seed) ?? {};
    const answers = Object.fromEntries(
      Object.entries(c.answers).map(([task, a]) => [task, a === '$truth' ? drawn[task]?.truth : a === '$wrong' ? drawn[task]?.wrong : a]),
    );
    const results = await runChecks(
      grader,
      {
        arch,
        seed,
        exec,
        nonce: () => randomBytes(12).toString('hex'),
        now: () => performance.now(),
        scratchVm: (files) =>
          withSeedDir(files, async (dir) => {
            const s = await backend.start({ learnerId: 'proof', labId: c.lab, arch, user: 'student', disk: { seedDir: dir } }, sessionId());
            const sv: ScratchVm = {
              exec: execOf(s),
              powerCut: () => s.powerCut(),
              readDiskFile: async (p) => (await s.readDiskFile(p))?.toString('utf8') ?? null,
              stop: () => s.stop(),
            };
            scratch.push(sv);
            return sv;
          }),
      },
      answers,
    );
    const ok = grader.tasks.every((t) => {
      const r = results.find((x) => x.taskId === t.id);
      return r !== undefined && (c.expect[t.id] ?? 'fail') === (r.passed ? 'pass' : 'fail');
    });
    return { results, ms: performance.now() - t0, ok };
  } finally {
    await Promise.all(scratch.map((s) => s.stop().catch(() => {})));
    await vm.stop();
  }
}

async function pool<T>(items: T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) await fn(items[next++] as T);
    }),
  );
}

const only = process.argv.slice(2);
const arches = process.env.LABS_PROOF_ARCHES ? process.env.LABS_PROOF_ARCHES.split(',').map((a) => ArchSchema.parse(a)) : ARCHES;
const concurrency = Number(process.env.LABS_PROOF_CONCURRENCY ?? 3);
const verbose = process.env.LABS_PROOF_VERBOSE === '1';
const images = await loadCurrentImages(path.join(root, '.cache/labs'));
if (!images) throw new Error('lab images missing: run npm run labs:images');
const runDir = path.join(root, '.cache/labs/run-proof');
await fs.mkdir(runDir, { recursive: true });
await QemuBackend.cleanOrphans(runDir);
const backend = new QemuBackend({ images, runDir });

const labs = [...LAB_GRADERS.keys()].filter((l) => only.length === 0 || only.includes(l)).sort();
const jobs: { c: Case; arch: Arch }[] = [];
for (const lab of labs)
  for (const c of await loadCases(lab, LAB_GRADERS.get(lab) as LabGrader)) for (const arch of arches) jobs.push({ c, arch });
const rows: string[] = [];
let failed = 0;
const t0 = performance.now();
try {
  await pool(jobs, concurrency, async ({ c, arch }) => {
    let line: string;
    try {
      const r = await runCase(backend, c, arch);
      if (!r.ok) failed++;
      const cells = r.results.map(
        (x) => `${x.taskId}=${x.passed ? 'pass' : 'fail'}${(c.expect[x.taskId] ?? 'fail') === (x.passed ? 'pass' : 'fail') ? '' : '(!)'}`,
      );
      line = `${r.ok ? 'ok  ' : 'FAIL'} ${c.lab.padEnd(18)} ${arch.padEnd(8)} ${c.name.padEnd(26)} ${(r.ms / 1000).toFixed(1).padStart(5)} s  ${cells.join(' ')}`;
      if (!r.ok || verbose)
        for (const x of r.results)
          line += `\n       ${x.taskId}: ${x.reason}\n${x.evidence.map((e) => `         [${e.source}]\n${e.lines.map((l) => `           ${l}`).join('\n')}`).join('\n')}`;
    } catch (err) {
      failed++;
      line = `FAIL ${c.lab.padEnd(18)} ${arch.padEnd(8)} ${c.name.padEnd(26)} error: ${err instanceof Error ? err.message : String(err)}`;
    }
    rows.push(line);
    console.log(line);
  });
} finally {
  await backend.shutdown();
}
console.log(
  `\nlab                ${'arch'.padEnd(8)} case (${((performance.now() - t0) / 1000).toFixed(0)} s in all, ${concurrency} at a time)`,
);
for (const r of rows.sort()) console.log(r.split('\n')[0]);
console.log(`labs-proof labs=${labs.length} arches=2 cases=${jobs.length} failed=${failed}`);
process.exitCode = failed === 0 ? 0 : 1;

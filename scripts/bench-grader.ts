/**
 * `npm run bench:grader` — Check → result time per lab and arch: starts each graded lab as a
 * learner gets it, puts its reference solution in place, and runs the full Check
 * BENCH_GRADER_RUNS times (default 5), one VM at a time so the figures are not each other's load.
 * Prints p50/max per lab × arch and per task; the last line is exactly
 * `grader p50_s_x86_64=<x> p50_s_aarch64=<x> labs=<n>` where each figure is the slowest lab's
 * p50 on that arch. durable-write's Check includes a scratch VM's restore, run and power cut;
 * futex-contention's includes at least one second of sampling the running service, psi-triage's
 * half a second of pressure sampling per task. The check p50 is the solution's first Check (every
 * task it expects to pass); a task that follows a learner's action (proc-debugger's release)
 * is timed after that action and shown only per task.
 */

import { promises as fs } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { LabDefinition } from '@/lib/content';
import { type LabGrader, runChecks } from '@/lib/grader';
import { ARCHES, type Arch, loadCurrentImages, QemuBackend } from '@/lib/vm';
import { gradedLabs, placeHome, readCase, resolveAnswers, root, runAsLearner, startLabVm } from './lab-harness';

const runs = Number(process.env.BENCH_GRADER_RUNS ?? 5);
const p50 = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0
    ? Number.NaN
    : s.length % 2
      ? (s[(s.length - 1) / 2] as number)
      : ((s[s.length / 2 - 1] as number) + (s[s.length / 2] as number)) / 2;
};
const images = await loadCurrentImages(path.join(root, '.cache/labs'));
if (!images) throw new Error('lab images missing: run npm run labs:images');
const runDir = path.join(root, '.cache/labs/run-bench-grader');
await fs.mkdir(runDir, { recursive: true });
await QemuBackend.cleanOrphans(runDir);
const backend = new QemuBackend({ images, runDir });
const labs = gradedLabs(process.argv.slice(2));
const worst: Record<Arch, number> = { x86_64: 0, aarch64: 0 };
try {
  console.log(`${'lab'.padEnd(18)} ${'arch'.padEnd(8)} check p50   max   per task p50`);
  for (const { lab, grader } of labs)
    for (const arch of ARCHES) {
      // A run that fails is tried once more on a fresh VM, and says so: this is a timing
      // benchmark (npm run test:labs is the proof), but a second failure is a real one.
      await benchOne(lab, grader, arch).catch((err: Error) => {
        console.error(`[bench:grader] ${lab.id} ${arch}: ${err.message.split('\n')[0]} — once more on a fresh VM`);
        return benchOne(lab, grader, arch);
      });
    }
} finally {
  await backend.shutdown();
}
console.log(`grader p50_s_x86_64=${worst.x86_64.toFixed(2)} p50_s_aarch64=${worst.aarch64.toFixed(2)} labs=${labs.length}`);

async function benchOne(lab: LabDefinition, grader: LabGrader, arch: Arch): Promise<void> {
  const s = await startLabVm(backend, lab, grader, arch, 'bench');
  try {
    // The reference solution as its case.yaml runs it: the first Check's tasks, then (for a
    // lab whose last task follows an action, e.g. releasing a hung process) that action and
    // the Check of what it changed.
    const solution = await readCase(lab, grader, 'solution');
    if (solution.homeDir) await placeHome(s.exec, solution.homeDir);
    if (solution.run) await runAsLearner(s.exec, solution.run);
    const answers = resolveAnswers(grader, s.seed, solution.answers);
    const phases: { only: string[]; before?: string }[] = [
      {
        only: Object.entries(solution.expect)
          .filter(([, e]) => e === 'pass')
          .map(([t]) => t),
      },
      ...(solution.after ? [{ only: Object.keys(solution.after.expect), before: solution.after.run }] : []),
    ];
    const totals: number[] = [];
    const perTask = new Map<string, number[]>();
    for (const phase of phases) {
      if (phase.before) await runAsLearner(s.exec, phase.before);
      for (let i = 0; i < runs; i++) {
        const t0 = performance.now();
        const results = await runChecks(grader, s.ctx, answers, phase.only);
        if (phase === phases[0]) totals.push((performance.now() - t0) / 1000);
        for (const r of results) {
          if (!r.passed) throw new Error(`${lab.id} ${arch}: the solution failed ${r.taskId}: ${r.reason}`);
          perTask.set(r.taskId, [...(perTask.get(r.taskId) ?? []), r.durationMs / 1000]);
        }
      }
    }
    const p = p50(totals);
    worst[arch] = Math.max(worst[arch], p);
    const tasks = [...perTask].map(([t, xs]) => `${t} ${p50(xs).toFixed(2)} s`).join(', ');
    console.log(
      `${lab.id.padEnd(18)} ${arch.padEnd(8)} ${p.toFixed(2).padStart(6)} s ${Math.max(...totals)
        .toFixed(2)
        .padStart(5)} s  ${tasks}`,
    );
  } finally {
    await s.stop();
  }
}

/**
 * `npm run test:labs` — the labs' proof: boots every graded lab on both arches and shows that the
 * untouched state fails, the reference solution passes and every near-miss (and tamper case)
 * fails — each task as its labs/<id>/cases/<case>/case.yaml expects. A `replayOf` case re-sends an
 * earlier passing Check after the learner put the old files back: the grader measures again. One VM per case (plus a
 * scratch VM for power-cut checks), LABS_PROOF_CONCURRENCY at a time (default 3). Prints a
 * table lab × arch × case with timings; the last line is exactly
 * `labs-proof labs=<n> arches=2 cases=<n> failed=<n>`.
 *
 * Usage: tsx scripts/test-labs.ts [lab-id…]  (LABS_PROOF_ARCHES=x86_64 for one arch,
 * LABS_PROOF_VERBOSE=1 for every reason and its evidence)
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { LabDefinition } from '@/lib/content';
import { type LabGrader, runChecks, type TaskResult } from '@/lib/grader';
import { ARCHES, type Arch, ArchSchema, loadCurrentImages, QemuBackend } from '@/lib/vm';
import { gradedLabs, type LabCase, placeHome, pool, readCase, resolveAnswers, root, runAsLearner, startLabVm } from './lab-harness';

async function loadCases(lab: LabDefinition, grader: LabGrader): Promise<LabCase[]> {
  const dir = path.join(lab.dir, 'cases');
  const cases: LabCase[] = [
    { name: 'untouched', answers: {}, expect: Object.fromEntries(grader.tasks.map((t) => [t.id, 'fail'])), homeDir: null },
  ];
  for (const name of (await fs.readdir(dir).catch(() => [] as string[])).sort()) cases.push(await readCase(lab, grader, name));
  for (const c of cases) {
    if (typeof c.replayOf !== 'string') continue;
    const name = c.replayOf;
    const first = cases.find((x) => x.name === name && !x.replayOf);
    if (!first) throw new Error(`labs/${lab.id}/cases/${c.name}: replayOf names no case without a replay of its own`);
    if (Object.keys(c.answers).length > 0) throw new Error(`labs/${lab.id}/cases/${c.name}: a replay sends the first case's answers`);
    c.replayOf = first;
  }
  return cases;
}

/** One result per check, with what the case expected of it; checks after the case's action are marked with a '+'. */
interface Graded extends TaskResult {
  expected: 'pass' | 'fail';
  afterAction: boolean;
}

async function runCase(backend: QemuBackend, lab: LabDefinition, grader: LabGrader, c: LabCase, arch: Arch) {
  const t0 = performance.now();
  const s = await startLabVm(backend, lab, grader, arch, 'proof');
  try {
    const meets = (k: LabCase, results: TaskResult[]) =>
      grader.tasks.every((t) => {
        const r = results.find((x) => x.taskId === t.id);
        return r !== undefined && (k.expect[t.id] ?? 'fail') === (r.passed ? 'pass' : 'fail');
      });
    let answers = resolveAnswers(grader, s.seed, c.answers);
    if (c.replayOf && typeof c.replayOf !== 'string') {
      // The Check that passed before, sent again after the learner put the old files back.
      const first = c.replayOf;
      if (first.homeDir) await placeHome(s.exec, first.homeDir);
      if (first.run) await runAsLearner(s.exec, first.run);
      answers = resolveAnswers(grader, s.seed, first.answers);
      const before = await runChecks(grader, s.ctx, answers);
      if (!meets(first, before))
        throw new Error(
          `the replayed case ${first.name} did not meet its own expectations first: ${JSON.stringify(before.map((r) => [r.taskId, r.passed, r.reason]))}`,
        );
    }
    if (c.homeDir) await placeHome(s.exec, c.homeDir);
    if (c.run) await runAsLearner(s.exec, c.run);
    const results: Graded[] = (await runChecks(grader, s.ctx, answers)).map((r) => ({
      ...r,
      expected: c.expect[r.taskId] ?? 'fail',
      afterAction: false,
    }));
    if (c.after) {
      await runAsLearner(s.exec, c.after.run);
      const again = await runChecks(grader, s.ctx, answers, Object.keys(c.after.expect));
      for (const r of again) results.push({ ...r, expected: c.after.expect[r.taskId] ?? 'fail', afterAction: true });
    }
    const ok =
      grader.tasks.every((t) => results.some((r) => r.taskId === t.id && !r.afterAction)) &&
      results.every((r) => r.expected === (r.passed ? 'pass' : 'fail'));
    return { results, ms: performance.now() - t0, ok };
  } finally {
    await s.stop();
  }
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

const labs = gradedLabs(only);
const jobs: { lab: LabDefinition; grader: LabGrader; c: LabCase; arch: Arch }[] = [];
for (const { lab, grader } of labs)
  for (const c of await loadCases(lab, grader)) for (const arch of arches) jobs.push({ lab, grader, c, arch });
const rows: string[] = [];
let failed = 0;
const t0 = performance.now();
try {
  await pool(jobs, concurrency, async ({ lab, grader, c, arch }) => {
    let line: string;
    const head = `${lab.id.padEnd(18)} ${arch.padEnd(8)} ${c.name.padEnd(28)}`;
    try {
      const r = await runCase(backend, lab, grader, c, arch);
      if (!r.ok) failed++;
      const cells = r.results.map((x) => {
        const got = x.passed ? 'pass' : 'fail';
        return `${x.afterAction ? '+' : ''}${x.taskId}=${got}${x.expected === got ? '' : '(!)'}`;
      });
      line = `${r.ok ? 'ok  ' : 'FAIL'} ${head} ${(r.ms / 1000).toFixed(1).padStart(5)} s  ${cells.join(' ')}`;
      if (!r.ok || verbose)
        for (const x of r.results)
          line += `\n       ${x.afterAction ? '+' : ''}${x.taskId}: ${x.reason}\n${x.evidence.map((e) => `         [${e.source}]\n${e.lines.map((l) => `           ${l}`).join('\n')}`).join('\n')}`;
    } catch (err) {
      failed++;
      line = `FAIL ${head} error: ${err instanceof Error ? err.message : String(err)}`;
    }
    rows.push(line);
    console.log(line);
  });
} finally {
  await backend.shutdown();
}
console.log(
  `\n     ${'lab'.padEnd(18)} ${'arch'.padEnd(8)} ${'case'.padEnd(28)} (${((performance.now() - t0) / 1000).toFixed(0)} s in all, ${concurrency} at a time)`,
);
for (const r of [...rows].sort((a, b) => a.slice(5).localeCompare(b.slice(5)))) console.log(r.split('\n')[0]);
console.log(`labs-proof labs=${labs.length} arches=2 cases=${jobs.length} failed=${failed}`);
process.exitCode = failed === 0 ? 0 : 1;

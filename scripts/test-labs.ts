/**
 * `npm run test:labs` — the labs' proof: boots every graded lab on both arches and shows that the
 * untouched state fails, the reference solution passes and every near-miss (and tamper case)
 * fails — each task as its labs/<id>/cases/<case>/case.yaml expects. One VM per case (plus a
 * scratch VM for power-cut checks), LABS_PROOF_CONCURRENCY at a time (default 3). Prints a
 * table lab × arch × case with timings; the last line is exactly
 * `labs-proof labs=<n> arches=2 cases=<n> failed=<n>`.
 *
 * Usage: tsx scripts/test-labs.ts [lab-id…]  (LABS_PROOF_ARCHES=x86_64 for one arch,
 * LABS_PROOF_VERBOSE=1 for every reason and its evidence)
 */
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { LabDefinition } from '@/lib/content';
import { type LabGrader, runChecks, type TaskResult } from '@/lib/grader';
import { ARCHES, type Arch, ArchSchema, loadCurrentImages, QemuBackend } from '@/lib/vm';
import { gradedLabs, placeHome, pool, root, startLabVm } from './lab-harness';

const CaseSchema = z.strictObject({
  /** `$truth` / `$wrong`: this session's drawn answer, or another session's. */
  answers: z.record(z.string(), z.string()).default({}),
  expect: z.record(z.string(), z.enum(['pass', 'fail'])),
});

interface Case {
  name: string;
  answers: Record<string, string>;
  expect: Record<string, 'pass' | 'fail'>;
  homeDir: string | null;
}

async function loadCases(lab: LabDefinition, grader: LabGrader): Promise<Case[]> {
  const dir = path.join(lab.dir, 'cases');
  const cases: Case[] = [
    { name: 'untouched', answers: {}, expect: Object.fromEntries(grader.tasks.map((t) => [t.id, 'fail'])), homeDir: null },
  ];
  for (const name of (await fs.readdir(dir).catch(() => [] as string[])).sort()) {
    const c = CaseSchema.parse(parseYaml(await fs.readFile(path.join(dir, name, 'case.yaml'), 'utf8')));
    for (const id of Object.keys(c.expect))
      if (!grader.tasks.some((t) => t.id === id)) throw new Error(`labs/${lab.id}/cases/${name}: unknown task ${id}`);
    const home = path.join(dir, name, 'home');
    cases.push({ name, answers: c.answers, expect: c.expect, homeDir: existsSync(home) ? home : null });
  }
  return cases;
}

async function runCase(backend: QemuBackend, lab: LabDefinition, grader: LabGrader, c: Case, arch: Arch) {
  const t0 = performance.now();
  const s = await startLabVm(backend, lab, grader, arch, 'proof');
  try {
    if (c.homeDir) await placeHome(s.exec, c.homeDir);
    const drawn = grader.drawnAnswers?.(s.seed) ?? {};
    const answers = Object.fromEntries(
      Object.entries(c.answers).map(([task, a]) => [task, a === '$truth' ? drawn[task]?.truth : a === '$wrong' ? drawn[task]?.wrong : a]),
    );
    const results: TaskResult[] = await runChecks(grader, s.ctx, answers);
    const ok = grader.tasks.every((t) => {
      const r = results.find((x) => x.taskId === t.id);
      return r !== undefined && (c.expect[t.id] ?? 'fail') === (r.passed ? 'pass' : 'fail');
    });
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
const jobs: { lab: LabDefinition; grader: LabGrader; c: Case; arch: Arch }[] = [];
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
        return `${x.taskId}=${got}${(c.expect[x.taskId] ?? 'fail') === got ? '' : '(!)'}`;
      });
      line = `${r.ok ? 'ok  ' : 'FAIL'} ${head} ${(r.ms / 1000).toFixed(1).padStart(5)} s  ${cells.join(' ')}`;
      if (!r.ok || verbose)
        for (const x of r.results)
          line += `\n       ${x.taskId}: ${x.reason}\n${x.evidence.map((e) => `         [${e.source}]\n${e.lines.map((l) => `           ${l}`).join('\n')}`).join('\n')}`;
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

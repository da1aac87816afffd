/**
 * `npm run content:check`: loads content/, runs every check of lib/content, prints each problem
 * as `file: message`, then a coverage table, then (as the last line, which CI and people grep)
 * `content lessons=… cards=… quizzes=… sections=… uncovered=… lint=…`. Exit 1 on any problem;
 * card-lint warnings are printed and counted but do not change the exit status (the real-course
 * unit test holds the count at zero).
 *
 * Options: `--root <dir>` (default content), `--labs <dir>` (default labs),
 * `--dissertation <file>` (default $KERNEL_MAP_DISSERTATION or content/source/dissertation.md).
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { type CoverageRow, checkCourse, formatLintWarning, formatProblem, readCourse, readLabs, readTextFile } from '@/lib/content';

const { values } = parseArgs({
  options: {
    root: { type: 'string', default: 'content' },
    labs: { type: 'string', default: 'labs' },
    dissertation: {
      type: 'string',
      default: process.env.KERNEL_MAP_DISSERTATION ?? path.join('content', 'source', 'dissertation.md'),
    },
  },
});

const root = values.root;
const dissertationPath = values.dissertation;

function coverageTable(rows: readonly CoverageRow[]): string {
  const idWidth = Math.max('section'.length, ...rows.map((r) => r.section.id.length));
  const head = `${'section'.padEnd(idWidth)}  lessons  cards  quiz-nodes`;
  const lines = rows.map((r) => {
    const mark = r.covered ? '' : '  UNCOVERED';
    return `${r.section.id.padEnd(idWidth)}  ${String(r.lessonSections.length).padStart(7)}  ${String(r.cards.length).padStart(5)}  ${String(r.quizNodes.length).padStart(10)}${mark}`;
  });
  return [head, '-'.repeat(head.length + 11), ...lines].join('\n');
}

function main(): number {
  if (!fs.existsSync(dissertationPath)) {
    console.error(
      `content:check: dissertation not found at ${dissertationPath}; pass --dissertation <file> or set KERNEL_MAP_DISSERTATION (the plagiarism check cannot be skipped)`,
    );
    console.log('content lessons=0 cards=0 quizzes=0 sections=0 uncovered=0 lint=0');
    return 1;
  }
  const { course, problems: loadProblems } = readCourse(root);
  const labs = readLabs(values.labs);
  const report = checkCourse(course, {
    dissertation: readTextFile(dissertationPath),
    labIds: new Set(labs.labs.map((l) => l.id)),
    labRefs: labs.labs.map((l) => ({ file: `${l.dir}/lab.yaml`, lessons: l.lessons, cards: l.tasks.flatMap((t) => t.cards) })),
  });
  const problems = [...loadProblems, ...labs.problems, ...report.problems];

  if (problems.length > 0) {
    const byFile = new Map<string, number>();
    for (const p of problems) byFile.set(p.file, (byFile.get(p.file) ?? 0) + 1);
    console.log(`${problems.length} problem${problems.length === 1 ? '' : 's'} in ${byFile.size} file${byFile.size === 1 ? '' : 's'}:`);
    for (const p of [...problems].sort((a, b) => a.file.localeCompare(b.file))) console.log(formatProblem(p));
    console.log('');
  }
  if (report.lint.length > 0) {
    console.log(
      `${report.lint.length} card-lint warning${report.lint.length === 1 ? '' : 's'} (see lib/content/README.md; a reviewed exception goes in ${course.lintExceptionsFile}):`,
    );
    for (const w of [...report.lint].sort((a, b) => a.file.localeCompare(b.file))) console.log(formatLintWarning(w));
    console.log('');
  }
  console.log(coverageTable(report.coverage));
  console.log('');
  console.log(`labs: ${labs.labs.length} valid lab.yaml (${labs.labs.map((l) => l.id).join(', ') || 'none'})`);
  console.log(
    `content lessons=${course.lessons.length} cards=${course.cards.length} quizzes=${course.quizzes.length} sections=${course.sections.length} uncovered=${report.uncovered} lint=${report.lint.length}`,
  );
  return problems.length > 0 || report.uncovered > 0 ? 1 : 0;
}

process.exitCode = main();

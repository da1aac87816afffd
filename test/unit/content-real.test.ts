import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkCourse, formatLintWarning, formatProblem, listLabIds, readCourse, readLabs } from '@/lib/content';

/**
 * CI guard for the real course: everything under content/ loads and passes every check
 * (references, quiz trees, coverage, plagiarism). Fails while content is being written; that
 * is intended. The dissertation is read from $KERNEL_MAP_DISSERTATION or content/source/.
 */
const dissertationPath = process.env.KERNEL_MAP_DISSERTATION ?? path.resolve('content', 'source', 'dissertation.md');

describe('the real content/ tree', () => {
  it('has zero content:check errors and no uncovered sections', () => {
    expect(fs.existsSync(dissertationPath), `dissertation not found at ${dissertationPath}`).toBe(true);
    const { course, problems } = readCourse('content');
    const report = checkCourse(course, { dissertation: fs.readFileSync(dissertationPath, 'utf8'), labIds: listLabIds('labs') });
    const all = [...problems, ...report.problems].map(formatProblem);
    expect(all, `${all.length} problems:\n${all.join('\n')}`).toEqual([]);
    expect(report.uncovered).toBe(0);
  });

  it('has no card-lint warnings (fix the card, or record a reviewed exception in content/lint-exceptions.yaml)', () => {
    const { course } = readCourse('content');
    const report = checkCourse(course, { dissertation: fs.readFileSync(dissertationPath, 'utf8'), labIds: listLabIds('labs') });
    const lines = report.lint.map(formatLintWarning);
    expect(lines, `${lines.length} warnings:\n${lines.join('\n')}`).toEqual([]);
  });

  it('has lab.yaml files whose lessons and cards exist, and catches one that names neither', () => {
    const { course } = readCourse('content');
    const labs = readLabs('labs');
    expect(labs.problems.map(formatProblem)).toEqual([]);
    const dissertation = fs.readFileSync(dissertationPath, 'utf8');
    const labRefs = labs.labs.map((l) => ({ file: l.id, lessons: l.lessons, cards: l.tasks.flatMap((t) => t.cards) }));
    expect(labRefs.flatMap((r) => r.cards).length).toBeGreaterThan(5);
    expect(checkCourse(course, { dissertation, labIds: listLabIds('labs'), labRefs }).problems.map(formatProblem)).toEqual([]);
    const broken = [{ file: 'labs/x/lab.yaml', lessons: ['contention#no-such-anchor'], cards: ['no-such-card'] }];
    const problems = checkCourse(course, { dissertation, labIds: listLabIds('labs'), labRefs: broken }).problems.map((p) => p.message);
    expect(problems).toEqual([
      'lessons: "contention#no-such-anchor" is not a lesson section',
      'tasks[].cards: "no-such-card" is not a card id',
    ]);
  });
});

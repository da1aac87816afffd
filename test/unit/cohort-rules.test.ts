import Papa from 'papaparse';
import { describe, expect, it } from 'vitest';
// The pure core of lib/cohorts (its index also holds the database side).
import { gradesCsv } from '@/lib/cohorts/export';
import {
  daysLate,
  describeGradeRule,
  failuresSinceLastPass,
  type GradedItemSpec,
  gradeItem,
  gradeLearner,
  latePenalty,
  streakOf,
  struggleFlags,
} from '@/lib/cohorts/rules';

const due = new Date('2026-11-10T23:59:00Z');
const at = (iso: string) => new Date(iso);
const rule = { perDay: 10, max: 50 };
const lab: GradedItemSpec = { kind: 'lab', itemId: 'durable-write', title: 'Durable writes', points: 60, dueAt: due };
const quiz: GradedItemSpec = { kind: 'quiz', itemId: 'slow-app', title: 'Slow app?', points: 40, dueAt: due };

describe('the grade rule', () => {
  it('counts started days late: a minute late is one day, on time is none', () => {
    expect(daysLate(at('2026-11-10T23:59:00Z'), due)).toBe(0);
    expect(daysLate(at('2026-11-11T00:00:00Z'), due)).toBe(1);
    expect(daysLate(at('2026-11-11T23:59:00Z'), due)).toBe(1);
    expect(daysLate(at('2026-11-12T00:00:00Z'), due)).toBe(2);
  });

  it('takes perDay % per started day, capped at max %', () => {
    expect(latePenalty(at('2026-11-12T10:00:00Z'), due, rule)).toBe(20);
    expect(latePenalty(at('2026-12-30T10:00:00Z'), due, rule)).toBe(50);
    expect(latePenalty(at('2026-12-30T10:00:00Z'), due, { perDay: 0, max: 50 })).toBe(0);
  });

  it('counts the best try after its penalty; a late retry never lowers an on-time grade', () => {
    const g = gradeItem(
      lab,
      [
        { at: at('2026-11-09T10:00:00Z'), fraction: 0.5 },
        { at: at('2026-11-13T10:00:00Z'), fraction: 1 },
      ],
      rule,
    );
    // On time: 0.5 × 60 = 30. Three days late: 1 × 60 × 0.7 = 42 — the late one is better.
    expect(g).toMatchObject({ points: 42, late: true, daysLate: 3, penalty: 30, tries: 2 });
    const g2 = gradeItem(
      lab,
      [
        { at: at('2026-11-09T10:00:00Z'), fraction: 1 },
        { at: at('2026-11-20T10:00:00Z'), fraction: 1 },
      ],
      rule,
    );
    expect(g2).toMatchObject({ points: 60, late: false, penalty: 0 });
  });

  it('gives 0 points, not late, without a try; sums the items into the total', () => {
    expect(gradeItem(quiz, [], rule)).toMatchObject({ points: 0, late: false, countedAt: null, tries: 0 });
    const g = gradeLearner([lab, quiz], (i) => (i.kind === 'lab' ? [{ at: at('2026-11-01T00:00:00Z'), fraction: 2 / 3 }] : []), rule);
    expect(g).toMatchObject({ total: 40, possible: 100, percent: 40 });
  });

  it('states itself in words with the cohort’s numbers', () => {
    const words = describeGradeRule([lab, quiz], rule).join(' ');
    expect(words).toContain('out of 100 points');
    expect(words).toContain('loses 10% of the item');
    expect(words).toContain('at most 50%');
    expect(describeGradeRule([lab], { perDay: 0, max: 0 }).join(' ')).toContain('Late work loses nothing.');
  });
});

describe('struggling learners', () => {
  const now = at('2026-11-30T12:00:00Z');
  const base = {
    overdueCards: 0,
    recent: { reviews: 0, recalled: 0 },
    prior: { reviews: 0, recalled: 0 },
    desiredRetention: 0.9,
    lastActivity: at('2026-11-29T12:00:00Z'),
    enrolledAt: at('2026-11-01T00:00:00Z'),
    taskFailures: [],
  };

  it('raises nothing for a learner on track', () => {
    expect(struggleFlags({ ...base, recent: { reviews: 100, recalled: 90 }, prior: { reviews: 100, recalled: 91 } }, now)).toEqual([]);
  });

  it('names the reason of each flag', () => {
    const flags = struggleFlags(
      {
        ...base,
        overdueCards: 31,
        recent: { reviews: 50, recalled: 35 },
        prior: { reviews: 50, recalled: 45 },
        lastActivity: at('2026-11-20T12:00:00Z'),
        taskFailures: [
          { labTitle: 'Durable writes', taskId: 'durable-save', failures: 3 },
          { labTitle: 'Futex', taskId: 'which-lock', failures: 2 },
        ],
      },
      now,
    );
    expect(flags.map((f) => f.reason)).toEqual([
      '31 review cards overdue by more than a day',
      'retention fell from 90% to 70% (last 14 days against the 14 before)',
      'no activity for 10 days',
      'Durable writes: task "durable-save" failed 3 times in a row',
    ]);
  });

  it('flags retention far below desired only with enough reviews', () => {
    expect(struggleFlags({ ...base, recent: { reviews: 19, recalled: 5 } }, now)).toEqual([]);
    expect(struggleFlags({ ...base, recent: { reviews: 40, recalled: 28 } }, now).map((f) => f.reason)).toEqual([
      'retention 70% over the last 14 days, desired 90%',
    ]);
  });

  it('counts a task’s failures since it last passed', () => {
    const f = failuresSinceLastPass([
      { at: at('2026-11-03T00:00:00Z'), tasks: [{ taskId: 'a', passed: false }] },
      {
        at: at('2026-11-01T00:00:00Z'),
        tasks: [
          { taskId: 'a', passed: false },
          { taskId: 'b', passed: false },
        ],
      },
      { at: at('2026-11-02T00:00:00Z'), tasks: [{ taskId: 'a', passed: true }] },
    ]);
    expect(Object.fromEntries(f)).toEqual({ a: 1, b: 1 });
  });

  it('counts a streak ending today or yesterday', () => {
    expect(streakOf(new Set(['2026-11-28', '2026-11-29', '2026-11-30']), '2026-11-30')).toBe(3);
    expect(streakOf(new Set(['2026-11-28', '2026-11-29']), '2026-11-30')).toBe(2);
    expect(streakOf(new Set(['2026-11-27']), '2026-11-30')).toBe(0);
  });
});

describe('grade export shapes', () => {
  const rows = [
    {
      name: 'Ina Late',
      email: 'ina@example.test',
      grade: gradeLearner(
        [lab, quiz],
        (i) => (i.kind === 'lab' ? [{ at: at('2026-11-12T10:00:00Z'), fraction: 1 }] : [{ at: at('2026-11-01T10:00:00Z'), fraction: 0.5 }]),
        rule,
      ),
    },
    { name: '=HYPERLINK("x")', email: 'eve@example.test', grade: gradeLearner([lab, quiz], () => [], rule) },
  ];

  it('Canvas: identity columns, a Points Possible row, one column per item, the total', () => {
    const csv = gradesCsv('canvas', 'Winter', [lab, quiz], rows);
    expect(csv).toContain('\r\n');
    const data = Papa.parse<string[]>(csv).data;
    expect(data[0]).toEqual([
      'Student',
      'ID',
      'SIS User ID',
      'SIS Login ID',
      'Section',
      'Lab: Durable writes (60 pts)',
      'Quiz: Slow app? (40 pts)',
      'Kernel Map total',
    ]);
    expect(data[1]).toEqual(['    Points Possible', '', '', '', '', '60', '40', '100']);
    expect(data[2]).toEqual(['Ina Late', '', '', 'ina@example.test', 'Winter', '48', '20', '68']);
    // A name that looks like a formula is written so a spreadsheet shows it as text.
    expect(data[3]?.[0]).toBe(`'=HYPERLINK("x")`);
  });

  it('Moodle: email as the identifier, items, total, a late flag per item', () => {
    const data = Papa.parse<string[]>(gradesCsv('moodle', 'Winter', [lab, quiz], rows)).data;
    expect(data[0]).toEqual([
      'Email address',
      'Full name',
      'Lab: Durable writes (60 pts)',
      'Quiz: Slow app? (40 pts)',
      'Total',
      'Late: Durable writes',
      'Late: Slow app?',
    ]);
    expect(data[1]).toEqual(['ina@example.test', 'Ina Late', '48', '20', '68', 'yes (2 days, -20%)', 'no']);
    expect(data).toHaveLength(3);
  });
});

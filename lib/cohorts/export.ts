import Papa from 'papaparse';
import type { GradedItemSpec, LearnerGrade } from './rules';

/**
 * Grade export as CSV, in two shapes LMS gradebooks import (README, Decisions):
 *
 * - `canvas` — Canvas's Gradebook import: the columns `Student, ID, SIS User ID, SIS Login ID,
 *   Section` (Canvas matches a row on any of its identifiers; we fill SIS Login ID with the
 *   learner's email and leave the Canvas-only ids empty), a second row `Points Possible`, then
 *   one column per graded item (a column whose name Canvas does not know becomes a new
 *   assignment) and the total. Canvas has no import column for a late flag: the late penalty is
 *   already in the points, and the flags are in the Moodle shape and on the dashboard.
 * - `moodle` — Moodle's "Import grades: CSV file": one header row, the learner identified by the
 *   `Email address` column (chosen as the identifier on import), one column per graded item
 *   mapped to its grade item, `Total`, and one `Late: <item>` column per item ("yes (N days,
 *   −P%)" or "no") that Moodle imports as that item's feedback or ignores.
 *
 * Item columns are titled `<kind>: <title> (<points> pts)` so the points are in the header too.
 */
export const EXPORT_SHAPES = ['canvas', 'moodle'] as const;
export type ExportShape = (typeof EXPORT_SHAPES)[number];

export interface ExportRow {
  name: string;
  email: string;
  grade: LearnerGrade;
}

export function itemColumn(item: GradedItemSpec): string {
  return `${item.kind === 'lab' ? 'Lab' : 'Quiz'}: ${item.title} (${item.points} pts)`;
}

const num = (n: number) => String(n);

/**
 * CRLF (RFC 4180, what both importers expect) and formula escaping: a learner's name is theirs to
 * choose, and a cell starting with = + - @ would run as a formula in the spreadsheet an
 * instructor opens the file in — papaparse prefixes such cells with a quote.
 */
const CSV_OPTIONS = { newline: '\r\n', escapeFormulae: true } as const;

/** The CSV text for a cohort's grades. Rows keep the order given. */
export function gradesCsv(shape: ExportShape, cohortName: string, items: readonly GradedItemSpec[], rows: readonly ExportRow[]): string {
  const possible = items.reduce((s, i) => s + i.points, 0);
  if (shape === 'canvas') {
    const head = ['Student', 'ID', 'SIS User ID', 'SIS Login ID', 'Section', ...items.map(itemColumn), 'Kernel Map total'];
    const pointsRow = ['    Points Possible', '', '', '', '', ...items.map((i) => num(i.points)), num(possible)];
    const body = rows.map((r) => [r.name, '', '', r.email, cohortName, ...r.grade.items.map((g) => num(g.points)), num(r.grade.total)]);
    return Papa.unparse([head, pointsRow, ...body], CSV_OPTIONS);
  }
  const head = ['Email address', 'Full name', ...items.map(itemColumn), 'Total', ...items.map((i) => `Late: ${i.title}`)];
  const body = rows.map((r) => [
    r.email,
    r.name,
    ...r.grade.items.map((g) => num(g.points)),
    num(r.grade.total),
    ...r.grade.items.map((g) => (g.late ? `yes (${g.daysLate} day${g.daysLate === 1 ? '' : 's'}, -${g.penalty}%)` : 'no')),
  ]);
  return Papa.unparse([head, ...body], CSV_OPTIONS);
}

/**
 * Content problems are collected, never thrown one at a time: a writer fixing content wants the
 * whole list in one run. Callers branch on `code`, never on message text.
 *
 * Codes:
 * - `io`         a file or directory could not be read
 * - `symlink`    a symbolic link under the content root (never followed)
 * - `path`       a path that resolves outside the content root
 * - `layout`     a file or directory where FORMAT.md does not allow one, or a required one missing
 * - `yaml`       YAML or frontmatter that does not parse
 * - `schema`     parsed data that does not match the zod schema
 * - `duplicate`  an id (or lesson order/anchor) used twice where it must be unique
 * - `reference`  an id or anchor that points at nothing
 * - `quiz`       a decision tree that is malformed (choices, reachability, cycles)
 * - `coverage`   a section of sections.yaml that is not taught enough
 * - `plagiarism` a run of ≥ 8 words shared with the dissertation
 */
export type ProblemCode =
  | 'io'
  | 'symlink'
  | 'path'
  | 'layout'
  | 'yaml'
  | 'schema'
  | 'duplicate'
  | 'reference'
  | 'quiz'
  | 'coverage'
  | 'plagiarism';

export interface ContentProblem {
  /** Path as the user sees it, e.g. `content/parts/01-boundary/cards/costs.yaml`. */
  file: string;
  code: ProblemCode;
  message: string;
}

/** `file: message`, the one line format used by `content:check` and `ContentError`. */
export function formatProblem(problem: ContentProblem): string {
  return `${problem.file}: ${problem.message}`;
}

/** Thrown by `loadCourse` when any file is unreadable or invalid; `problems` lists all of them. */
export class ContentError extends Error {
  readonly problems: readonly ContentProblem[];

  constructor(problems: readonly ContentProblem[]) {
    const lines = problems.map((p) => `  ${formatProblem(p)}`).join('\n');
    super(`${problems.length} content problem${problems.length === 1 ? '' : 's'}:\n${lines}`);
    this.name = 'ContentError';
    this.problems = problems;
  }
}

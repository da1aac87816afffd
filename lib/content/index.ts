/**
 * Public entry of lib/content: schemas and types of the course files, the loader, the checker
 * and the Markdown renderer. Only load.ts touches Node (fs, crypto); it is re-exported here for
 * server code, scripts and tests. A client component that only renders should import
 * `@/lib/content/render` (or schema) directly so that node:fs stays out of the browser bundle.
 */

export {
  type CheckOptions,
  type CheckReport,
  type CoverageRow,
  checkCourse,
  computeCoverage,
  MIN_CARDS_PER_SECTION,
  MIN_LESSON_SECTIONS_PER_SECTION,
  sourceSectionHeadings,
} from './check';
export { ContentError, type ContentProblem, formatProblem, type ProblemCode } from './errors';
export { parseHeadings, slugify } from './headings';
export { type LabDefinition, type LabManifest, labCatalog, labManifestSchema, labSnapshotSpec, readLabs } from './labs';
export {
  cardPrompt,
  contentWords,
  formatLintWarning,
  jaccard,
  LINT_DEFAULTS,
  type LintWarning,
  lintCards,
} from './lint';
export { listLabIds, loadCourse, type ReadCourseResult, readCourse, readTextFile } from './load';
export {
  CODE_FENCE_LANGUAGES,
  findSharedRuns,
  indexSource,
  MIN_SHARED_WORDS,
  normalisedWords,
  proseChunks,
  type SourceIndex,
} from './plagiarism';
export { clozeDeletions, escapeHtml, renderCloze, renderInline, renderMarkdown } from './render';
export { nodeAsShown, rightChoiceIndex, type ScenarioPath, walkScenario } from './scenarios';
export * from './schema';

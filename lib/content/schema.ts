import { z } from 'zod';

/**
 * Schemas for every file under `content/` (see content/FORMAT.md, which is authoritative).
 *
 * Objects are strict: an unknown key is almost always a typo (`teach:` for `teaches:`) that would
 * otherwise silently drop data, so it is rejected. Cross-file rules (references, coverage,
 * uniqueness across files) are not expressible here and live in `check.ts`.
 */

/** Card, lesson, quiz, section, part and anchor ids. Stable forever: FSRS history hangs off them. */
export const idSchema = z.string().regex(/^[a-z0-9-]{1,48}$/, 'must match ^[a-z0-9-]{1,48}$ (lowercase letters, digits, hyphens)');

const text = z.string().trim().min(1, 'must not be empty');

export const sectionSchema = z.strictObject({
  id: idSchema,
  /** A grouping label (`thesis`, `p1`…`p7`, `synthesis`, `trees`, `extras`), not a part reference. */
  part: idSchema,
  title: text,
  /** The dissertation heading (`##`/`###` text) this section comes from; every leaf heading must be named. */
  heading: text,
});
export const sectionsFileSchema = z.array(sectionSchema).min(1, 'must list at least one section');

export const partSchema = z.strictObject({
  id: idSchema,
  title: text,
  order: z.number().int().min(0),
  summary: text,
});

export const lessonSectionSchema = z.strictObject({
  anchor: idSchema,
  teaches: z.array(idSchema).min(1, 'must name at least one section id'),
});

export const lessonFrontmatterSchema = z.strictObject({
  id: idSchema,
  title: text,
  order: z.number().int().min(0),
  summary: text,
  minutes: z.number().int().positive(),
  sections: z.array(lessonSectionSchema).min(1, 'must map at least one heading to sections'),
  labs: z.array(idSchema).default([]),
});

/** `<lesson-id>#<anchor>`: where a card sends the learner to read more. */
export const lessonRefSchema = z.string().regex(/^[a-z0-9-]{1,48}#[a-z0-9-]{1,48}$/, 'must look like <lesson-id>#<anchor>');

/** Matches one `{{deletion}}` in a cloze card's text. Global: reset `lastIndex` or use matchAll. */
export const CLOZE_DELETION = /\{\{(.+?)\}\}/gs;

const cardBase = {
  id: idSchema,
  section: idSchema,
  lesson: lessonRefSchema,
  tags: z.array(idSchema).optional(),
};

const frontBackCard = <T extends 'qa' | 'number' | 'scenario'>(type: T) =>
  z.strictObject({ ...cardBase, type: z.literal(type), front: text, back: text });

export const qaCardSchema = frontBackCard('qa');
export const numberCardSchema = frontBackCard('number');
export const scenarioCardSchema = frontBackCard('scenario');
export const clozeCardSchema = z.strictObject({
  ...cardBase,
  type: z.literal('cloze'),
  text: text.refine((t) => /\{\{.+?\}\}/s.test(t), 'must contain at least one {{deletion}}'),
  back: text.optional(),
});

export const cardSchema = z.discriminatedUnion('type', [qaCardSchema, clozeCardSchema, numberCardSchema, scenarioCardSchema], {
  error: 'type must be one of qa, cloze, number, scenario',
});
export const cardsFileSchema = z.array(z.unknown());

export const quizChoiceSchema = z.strictObject({
  label: text,
  correct: z.boolean().default(false),
  next: idSchema.optional(),
  leaf: idSchema.optional(),
  feedback: text,
});

export const quizNodeSchema = z.strictObject({
  id: idSchema,
  prompt: text,
  evidence: text.optional(),
  cards: z.array(idSchema).min(1, 'must test at least one card'),
  choices: z.array(quizChoiceSchema).min(2, 'needs 2–5 choices').max(5, 'needs 2–5 choices'),
});

export const quizLeafSchema = z.strictObject({
  id: idSchema,
  title: text,
  body: text,
});

/**
 * One case the tree is walked with: different evidence that makes a different choice right on
 * some nodes, and so leads down a different branch. Nodes keep their own prompt, evidence and
 * `correct: true` choice unless the scenario overrides them; the first scenario is the tree as
 * written (no `answers`).
 */
export const quizScenarioSchema = z.strictObject({
  id: idSchema,
  /** Names the case; shown to the learner once the walk ends (it would give the answer away before). */
  title: text,
  /** Node id → index (0-based) of the choice that is right in this scenario. */
  answers: z.record(idSchema, z.int().min(0).max(4)).default({}),
  /** Node id → the evidence the learner sees on that node in this scenario. */
  evidence: z.record(idSchema, text).default({}),
  /** Node id → the question as asked in this scenario. */
  prompts: z.record(idSchema, text).default({}),
});

export const quizSchema = z.strictObject({
  id: idSchema,
  title: text,
  summary: text,
  sections: z.array(idSchema).min(1, 'must name at least one section id'),
  start: idSchema,
  nodes: z.array(quizNodeSchema).min(1, 'needs at least one node'),
  leaves: z.array(quizLeafSchema).min(1, 'needs at least one leaf'),
  scenarios: z.array(quizScenarioSchema).min(1, 'needs at least one scenario (content:check asks for two)'),
});

/**
 * `retired-cards.yaml`: every card id ever removed from the course. Ids are never reused (FSRS
 * history hangs off them), so a live card with a retired id is an error.
 */
export const retiredCardSchema = z.strictObject({
  id: idSchema,
  /** Why it went, and which cards (if any) replace it. */
  reason: text,
});
export const retiredCardsFileSchema = z.array(retiredCardSchema);

/** The card-lint rules (see lint.ts). */
export const LINT_RULES = ['binary-cloze', 'cloze-overload', 'enumeration', 'double-question', 'long-answer', 'near-duplicate'] as const;
export const lintRuleSchema = z.enum(LINT_RULES);

/** `lint-exceptions.yaml`: lint hits a reviewer looked at and kept, each with the reason. */
export const lintExceptionSchema = z.strictObject({
  card: idSchema,
  rule: lintRuleSchema,
  reason: text,
});
export const lintExceptionsFileSchema = z.array(lintExceptionSchema);

export type Section = z.infer<typeof sectionSchema>;
export type RetiredCard = z.infer<typeof retiredCardSchema>;
export type LintRule = z.infer<typeof lintRuleSchema>;
export type LintException = z.infer<typeof lintExceptionSchema>;
export type Part = z.infer<typeof partSchema>;
export type LessonSection = z.infer<typeof lessonSectionSchema>;
/** What a lesson's YAML frontmatter holds; a loaded `Lesson` adds body, headings and hash. */
export type LessonFrontmatter = z.infer<typeof lessonFrontmatterSchema>;
export type Card = z.infer<typeof cardSchema>;
export type CardType = Card['type'];
export type QuizChoice = z.infer<typeof quizChoiceSchema>;
export type QuizNode = z.infer<typeof quizNodeSchema>;
export type QuizLeaf = z.infer<typeof quizLeafSchema>;
export type QuizScenario = z.infer<typeof quizScenarioSchema>;
export type Quiz = z.infer<typeof quizSchema>;

/** Where a loaded item came from; `file` is `<root>/…` with forward slashes, as printed in errors. */
export interface Source {
  file: string;
  /** The part id from part.yaml (or the part directory's name when part.yaml is broken). */
  part: string;
}

/** A heading found in a lesson body. `anchor` is the explicit `{#anchor}` or a generated slug. */
export interface Heading {
  depth: number;
  /** Plain text of the heading, `{#anchor}` removed and inline Markdown flattened. */
  text: string;
  anchor: string;
  /** True when the author wrote `{#anchor}`; only explicit anchors are stable link targets. */
  explicit: boolean;
}

export type CoursePart = Part & { file: string; dir: string };
export type Lesson = LessonFrontmatter &
  Source & {
    /** Markdown after the frontmatter; render with `renderMarkdown`. */
    body: string;
    headings: Heading[];
    /** sha256 of frontmatter + body: changes exactly when the lesson's content changes. */
    contentHash: string;
  };
export type CourseCard = Card & Source & { contentHash: string };
export type CourseQuiz = Quiz & Source & { contentHash: string };

/** Everything under `content/`, parsed. Parts and lessons are in teaching order. */
export interface Course {
  root: string;
  sectionsFile: string;
  sections: Section[];
  parts: CoursePart[];
  lessons: Lesson[];
  cards: CourseCard[];
  quizzes: CourseQuiz[];
  /** `<root>/retired-cards.yaml` (optional file): ids that must never come back. */
  retiredCardsFile: string;
  retiredCards: RetiredCard[];
  /** `<root>/lint-exceptions.yaml` (optional file): reviewed card-lint hits. */
  lintExceptionsFile: string;
  lintExceptions: LintException[];
}

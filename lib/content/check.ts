import { splitLessonRef } from '@/lib/schema';
import type { ContentProblem, ProblemCode } from './errors';
import { type LintWarning, lintCards } from './lint';
import { findSharedRuns, indexSource, proseChunks, type SourceIndex } from './plagiarism';
import { walkScenario } from './scenarios';
import type { Course, CourseQuiz, Lesson, Section } from './schema';

/**
 * Cross-file rules of content/FORMAT.md, run over a loaded `Course`. Pure: the caller supplies
 * the dissertation text and the set of lab ids, so this runs the same in tests, CI and the app.
 */

export interface CheckOptions {
  /** Full text of the dissertation; content must not share ≥ 8-word runs with it. */
  dissertation: string;
  /** Ids of existing labs (`labs/<id>/lab.yaml`), see `listLabIds`. */
  labIds: ReadonlySet<string>;
  /** The labs' own references (lessons they practise, cards their tasks bring back), when checked together. */
  labRefs?: readonly { file: string; lessons: readonly string[]; cards: readonly string[] }[];
}

/** How well one section of sections.yaml is taught. */
export interface CoverageRow {
  section: Section;
  /** `lesson-id#anchor` of every lesson section whose `teaches` names it. */
  lessonSections: string[];
  /** Ids of the cards whose `section` is it. */
  cards: string[];
  /** `quiz-id/node-id` of every quiz node linking a card of this section. */
  quizNodes: string[];
  /** At least one lesson section and at least two cards. */
  covered: boolean;
}

export interface CheckReport {
  problems: ContentProblem[];
  /** Card-lint warnings (reviewed exceptions removed); they do not make the check fail. */
  lint: LintWarning[];
  coverage: CoverageRow[];
  uncovered: number;
}

export const MIN_CARDS_PER_SECTION = 2;
export const MIN_LESSON_SECTIONS_PER_SECTION = 1;
/** Each decision-tree quiz is walked with at least this many cases (issue 14). */
export const MIN_SCENARIOS_PER_QUIZ = 2;

type Report = (file: string, code: ProblemCode, message: string) => void;

/** Reports every id seen twice, naming the file of the first occurrence. */
function checkUnique<T extends { id: string; file: string }>(items: readonly T[], kind: string, report: Report): void {
  const first = new Map<string, T>();
  for (const item of items) {
    const seen = first.get(item.id);
    if (seen) report(item.file, 'duplicate', `${kind} id "${item.id}" is already used in ${seen.file}`);
    else first.set(item.id, item);
  }
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function checkLessons(course: Course, sectionIds: ReadonlySet<string>, labIds: ReadonlySet<string>, report: Report): void {
  checkUnique(course.lessons, 'lesson', report);
  const orders = new Map<string, Lesson>();
  for (const lesson of course.lessons) {
    const key = `${lesson.part}\u0000${lesson.order}`;
    const other = orders.get(key);
    if (other) report(lesson.file, 'duplicate', `lesson order ${lesson.order} is also used by "${other.id}" in part ${lesson.part}`);
    else orders.set(key, lesson);

    const anchors = new Map<string, number>();
    for (const heading of lesson.headings) {
      if (!heading.explicit) continue;
      if (!/^[a-z0-9-]{1,48}$/.test(heading.anchor)) {
        report(lesson.file, 'schema', `heading "${heading.text}" has anchor {#${heading.anchor}}; anchors must match ^[a-z0-9-]{1,48}$`);
      }
      anchors.set(heading.anchor, (anchors.get(heading.anchor) ?? 0) + 1);
    }
    for (const [anchor, count] of anchors) {
      if (count > 1)
        report(lesson.file, 'duplicate', `anchor {#${anchor}} is used by ${count} headings; anchors must be unique within a lesson`);
    }

    for (const entry of lesson.sections) {
      const heading = lesson.headings.find((h) => h.anchor === entry.anchor);
      if (!heading) {
        report(
          lesson.file,
          'reference',
          `sections: anchor "${entry.anchor}" is not a heading in this lesson (add \`{#${entry.anchor}}\` to the heading that teaches it)`,
        );
      } else if (!heading.explicit) {
        report(
          lesson.file,
          'reference',
          `sections: heading "${heading.text}" must carry an explicit {#${entry.anchor}}, not rely on its generated slug`,
        );
      }
      for (const sectionId of entry.teaches) {
        if (!sectionIds.has(sectionId)) {
          report(lesson.file, 'reference', `sections[${entry.anchor}].teaches: "${sectionId}" is not a section id in sections.yaml`);
        }
      }
    }
    for (const lab of lesson.labs) {
      if (!labIds.has(lab)) report(lesson.file, 'reference', `labs: "${lab}" has no labs/${lab}/lab.yaml (list only labs that exist)`);
    }
  }
}

/** A lab's `lessons:` must name existing lesson sections and its tasks' `cards:` existing cards. */
function checkLabRefs(course: Course, labs: NonNullable<CheckOptions['labRefs']>, report: Report): void {
  const cardIds = new Set(course.cards.map((c) => c.id));
  const anchors = new Map(course.lessons.map((l) => [l.id, new Set(l.sections.map((s) => s.anchor))]));
  for (const lab of labs) {
    for (const ref of lab.lessons) {
      const { lessonId, anchor } = splitLessonRef(ref);
      if (!anchors.get(lessonId)?.has(anchor)) report(lab.file, 'reference', `lessons: "${ref}" is not a lesson section`);
    }
    for (const card of lab.cards) if (!cardIds.has(card)) report(lab.file, 'reference', `tasks[].cards: "${card}" is not a card id`);
  }
}

function checkCards(course: Course, sectionIds: ReadonlySet<string>, report: Report): void {
  checkUnique(course.cards, 'card', report);
  const lessons = new Map(course.lessons.map((l) => [l.id, l]));
  for (const card of course.cards) {
    if (!sectionIds.has(card.section)) {
      report(card.file, 'reference', `card "${card.id}": section "${card.section}" is not in sections.yaml`);
    }
    const { lessonId, anchor } = splitLessonRef(card.lesson);
    const lesson = lessons.get(lessonId);
    if (!lesson) report(card.file, 'reference', `card "${card.id}": lesson "${lessonId}" does not exist`);
    else if (!lesson.headings.some((h) => h.anchor === anchor)) {
      report(card.file, 'reference', `card "${card.id}": lesson "${lessonId}" has no heading with anchor "${anchor}"`);
    }
  }
}

/** Ids are never reused: a live card may not carry an id listed in retired-cards.yaml. */
function checkRetired(course: Course, report: Report): void {
  const seen = new Set<string>();
  for (const r of course.retiredCards) {
    if (seen.has(r.id)) report(course.retiredCardsFile, 'duplicate', `retired card id "${r.id}" is listed twice`);
    seen.add(r.id);
  }
  for (const card of course.cards) {
    if (seen.has(card.id))
      report(
        card.file,
        'duplicate',
        `card id "${card.id}" was retired (${course.retiredCardsFile}); ids are never reused because learners' review history hangs off them — give this card a new id`,
      );
  }
}

function checkQuiz(quiz: CourseQuiz, cardIds: ReadonlySet<string>, sectionIds: ReadonlySet<string>, report: Report): void {
  const say = (message: string, code: ProblemCode = 'quiz') => report(quiz.file, code, `quiz "${quiz.id}": ${message}`);
  for (const s of quiz.sections) if (!sectionIds.has(s)) say(`sections: "${s}" is not in sections.yaml`, 'reference');

  const nodes = new Map<string, (typeof quiz.nodes)[number]>();
  for (const node of quiz.nodes) {
    if (nodes.has(node.id)) say(`node id "${node.id}" is used twice`, 'duplicate');
    else nodes.set(node.id, node);
  }
  const leaves = new Set<string>();
  for (const leaf of quiz.leaves) {
    if (leaves.has(leaf.id)) say(`leaf id "${leaf.id}" is used twice`, 'duplicate');
    leaves.add(leaf.id);
  }
  if (!nodes.has(quiz.start)) say(`start "${quiz.start}" is not a node id`, 'reference');

  for (const node of quiz.nodes) {
    for (const cardId of node.cards) {
      if (!cardIds.has(cardId)) say(`node "${node.id}": card "${cardId}" does not exist`, 'reference');
    }
    const correct = node.choices.filter((c) => c.correct);
    if (correct.length !== 1) say(`node "${node.id}" has ${correct.length} correct choices; exactly one must have correct: true`);
    node.choices.forEach((choice, i) => {
      const label = `node "${node.id}" choice ${i + 1} ("${choice.label}")`;
      const targets = (choice.next === undefined ? 0 : 1) + (choice.leaf === undefined ? 0 : 1);
      const rightSomewhere = choice.correct || quiz.scenarios.some((s) => s.answers[node.id] === i);
      if (rightSomewhere && targets !== 1)
        say(`${label} is right in some scenario, so it needs exactly one of next / leaf (has ${targets})`);
      if (!rightSomewhere && targets !== 0)
        say(`${label} is right in no scenario, so it must have neither next nor leaf (the learner stays on the node)`);
      if (choice.next !== undefined && !nodes.has(choice.next)) say(`${label}: next "${choice.next}" is not a node id`, 'reference');
      if (choice.leaf !== undefined && !leaves.has(choice.leaf)) say(`${label}: leaf "${choice.leaf}" is not a leaf id`, 'reference');
    });
  }

  // Scenarios: at least two, each walks from start to a leaf, each down its own path, and every
  // node and leaf is on some scenario's path (a learner only ever moves along right choices).
  if (quiz.scenarios.length < MIN_SCENARIOS_PER_QUIZ) {
    say(
      `has ${plural(quiz.scenarios.length, 'scenario')}; a quiz needs at least ${MIN_SCENARIOS_PER_QUIZ} that lead down different branches`,
    );
  }
  const scenarioIds = new Set<string>();
  for (const s of quiz.scenarios) {
    if (scenarioIds.has(s.id)) say(`scenario id "${s.id}" is used twice`, 'duplicate');
    scenarioIds.add(s.id);
  }
  const first = quiz.scenarios[0];
  if (first && Object.keys(first.answers).length > 0) {
    say(`scenario "${first.id}" is first, so it must be the tree as written (no answers); put scenarios that change answers after it`);
  }
  const seenNodes = new Set<string>();
  const seenLeaves = new Set<string>();
  const paths = new Map<string, string>();
  for (const scenario of quiz.scenarios) {
    const where = `scenario "${scenario.id}"`;
    for (const [field, map] of [
      ['answers', scenario.answers],
      ['evidence', scenario.evidence],
      ['prompts', scenario.prompts],
    ] as const) {
      for (const nodeId of Object.keys(map)) if (!nodes.has(nodeId)) say(`${where} ${field}: "${nodeId}" is not a node id`, 'reference');
    }
    for (const [nodeId, index] of Object.entries(scenario.answers)) {
      const node = nodes.get(nodeId);
      if (node && !node.choices[index]) say(`${where} answers: node "${nodeId}" has no choice ${index} (indexes start at 0)`, 'reference');
    }
    const path = walkScenario(quiz, scenario);
    for (const id of path.nodes) seenNodes.add(id);
    if (path.leaf === null) {
      // A broken target or choice is already reported above, by name.
      if (path.problemKind === 'loop') say(`${where} never reaches a leaf: ${path.problem}`);
      continue;
    }
    seenLeaves.add(path.leaf);
    for (const [field, map] of [
      ['answers', scenario.answers],
      ['evidence', scenario.evidence],
      ['prompts', scenario.prompts],
    ] as const) {
      for (const nodeId of Object.keys(map)) {
        if (nodes.has(nodeId) && !path.nodes.includes(nodeId))
          say(`${where} ${field}: node "${nodeId}" is not on its walk (${path.nodes.join(' → ')})`);
      }
    }
    const key = `${path.nodes.join('>')}>${path.leaf}`;
    const twin = paths.get(key);
    if (twin) say(`${where} walks the same path as scenario "${twin}"; a scenario must lead down a different branch`);
    else paths.set(key, scenario.id);
  }
  if (nodes.has(quiz.start)) {
    for (const id of nodes.keys()) if (!seenNodes.has(id)) say(`node "${id}" is not reachable from start "${quiz.start}" in any scenario`);
    for (const id of leaves) if (!seenLeaves.has(id)) say(`leaf "${id}" is not reachable from start "${quiz.start}" in any scenario`);
  }

  // Cycle detection over `next` edges of every choice (depth-first, three colours).
  const state = new Map<string, 'active' | 'done'>();
  const reported = new Set<string>();
  const visit = (id: string, trail: string[]): void => {
    if (state.get(id) === 'done') return;
    if (state.get(id) === 'active') {
      const cycle = [...trail.slice(trail.indexOf(id)), id];
      const key = [...cycle].sort().join(',');
      if (!reported.has(key)) {
        reported.add(key);
        say(`cycle ${cycle.join(' → ')}; a decision tree must not loop`);
      }
      return;
    }
    state.set(id, 'active');
    for (const choice of nodes.get(id)?.choices ?? []) {
      if (choice.next !== undefined && nodes.has(choice.next)) visit(choice.next, [...trail, id]);
    }
    state.set(id, 'done');
  };
  for (const id of nodes.keys()) visit(id, []);
}

function checkPlagiarism(course: Course, index: SourceIndex, report: Report): void {
  const scan = (file: string, where: string, text: string | undefined, markdown = true): void => {
    if (text === undefined) return;
    for (const chunk of markdown ? proseChunks(text) : [text]) {
      for (const run of findSharedRuns(chunk, index)) {
        const n = run.split(' ').length;
        report(
          file,
          'plagiarism',
          `${where} shares ${n} consecutive words with the dissertation (max ${index.minWords - 1}); rewrite in our own words: "${run}"`,
        );
      }
    }
  };
  for (const lesson of course.lessons) {
    scan(lesson.file, `lesson "${lesson.id}" title`, lesson.title, false);
    scan(lesson.file, `lesson "${lesson.id}" summary`, lesson.summary, false);
    scan(lesson.file, `lesson "${lesson.id}" body`, lesson.body.replace(/\{#[^\s{}]*\}/g, ''));
  }
  for (const card of course.cards) {
    const where = `card "${card.id}"`;
    if (card.type === 'cloze') {
      scan(card.file, `${where} text`, card.text);
      scan(card.file, `${where} back`, card.back);
    } else {
      scan(card.file, `${where} front`, card.front);
      scan(card.file, `${where} back`, card.back);
    }
  }
  for (const quiz of course.quizzes) {
    const where = `quiz "${quiz.id}"`;
    scan(quiz.file, `${where} title`, quiz.title, false);
    scan(quiz.file, `${where} summary`, quiz.summary, false);
    for (const node of quiz.nodes) {
      // `evidence` is command output by definition and is not checked (see plagiarism.ts).
      scan(quiz.file, `${where} node "${node.id}" prompt`, node.prompt);
      node.choices.forEach((choice, i) => {
        scan(quiz.file, `${where} node "${node.id}" choice ${i + 1} label`, choice.label);
        scan(quiz.file, `${where} node "${node.id}" choice ${i + 1} feedback`, choice.feedback);
      });
    }
    for (const leaf of quiz.leaves) {
      scan(quiz.file, `${where} leaf "${leaf.id}" title`, leaf.title, false);
      scan(quiz.file, `${where} leaf "${leaf.id}" body`, leaf.body);
    }
    for (const scenario of quiz.scenarios) {
      scan(quiz.file, `${where} scenario "${scenario.id}" title`, scenario.title, false);
      for (const [nodeId, prompt] of Object.entries(scenario.prompts))
        scan(quiz.file, `${where} scenario "${scenario.id}" prompt for "${nodeId}"`, prompt);
    }
  }
}

/** Coverage of every section; a section is covered by ≥ 1 lesson section and ≥ 2 cards. */
/**
 * The dissertation's leaf headings (a `##` or `###` with no deeper heading under it), outside
 * code fences. These are its sections; each must be named by some entry of sections.yaml.
 */
export function sourceSectionHeadings(dissertation: string): string[] {
  const headings: { depth: number; text: string }[] = [];
  let fenced = false;
  for (const line of dissertation.split('\n')) {
    if (/^\s*```/.test(line)) fenced = !fenced;
    const m = fenced ? null : /^(#{2,3})\s+(.+?)\s*$/.exec(line);
    if (m?.[1] && m[2]) headings.push({ depth: m[1].length, text: m[2] });
  }
  return headings.filter((h, i) => (headings[i + 1]?.depth ?? 0) <= h.depth).map((h) => h.text);
}

function checkSourceHeadings(course: Course, dissertation: string, report: Report): void {
  const named = new Set(course.sections.map((s) => s.heading));
  for (const heading of sourceSectionHeadings(dissertation)) {
    if (!named.has(heading))
      report(course.sectionsFile, 'coverage', `dissertation section "${heading}" is named by no entry (heading:) of the coverage map`);
  }
  const real = new Set(sourceSectionHeadings(dissertation));
  for (const s of course.sections) {
    if (!real.has(s.heading))
      report(course.sectionsFile, 'reference', `section "${s.id}" names heading "${s.heading}", which the dissertation does not have`);
  }
}

export function computeCoverage(course: Course): CoverageRow[] {
  const rows = new Map<string, CoverageRow>(
    course.sections.map((section) => [section.id, { section, lessonSections: [], cards: [], quizNodes: [], covered: false }]),
  );
  for (const lesson of course.lessons) {
    for (const entry of lesson.sections) {
      for (const id of new Set(entry.teaches)) rows.get(id)?.lessonSections.push(`${lesson.id}#${entry.anchor}`);
    }
  }
  const cardSection = new Map<string, string>();
  for (const card of course.cards) {
    rows.get(card.section)?.cards.push(card.id);
    if (!cardSection.has(card.id)) cardSection.set(card.id, card.section);
  }
  for (const quiz of course.quizzes) {
    for (const node of quiz.nodes) {
      const sections = new Set(node.cards.flatMap((id) => cardSection.get(id) ?? []));
      for (const id of sections) rows.get(id)?.quizNodes.push(`${quiz.id}/${node.id}`);
    }
  }
  for (const row of rows.values()) {
    row.covered = row.lessonSections.length >= MIN_LESSON_SECTIONS_PER_SECTION && row.cards.length >= MIN_CARDS_PER_SECTION;
  }
  return [...rows.values()];
}

/**
 * Runs every cross-file check of FORMAT.md over a loaded course: unique ids, references
 * (sections, lessons and anchors, cards, labs), quiz tree shape (one correct choice, targets,
 * reachability, no cycles), retired card ids never reused, coverage and the ≥ 8-shared-words
 * plagiarism rule. Every problem is returned; nothing is thrown. The card lint (lint.ts) runs too;
 * its warnings come back in `lint` and are not problems. Problems from loading (`readCourse`) are not repeated here.
 */
export function checkCourse(course: Course, options: CheckOptions): CheckReport {
  const problems: ContentProblem[] = [];
  const report: Report = (file, code, message) => problems.push({ file, code, message });

  checkUnique(
    course.sections.map((s) => ({ ...s, file: course.sectionsFile })),
    'section',
    report,
  );
  checkUnique(course.parts, 'part', report);
  const sectionIds = new Set(course.sections.map((s) => s.id));
  checkLessons(course, sectionIds, options.labIds, report);
  checkLabRefs(course, options.labRefs ?? [], report);
  checkCards(course, sectionIds, report);
  checkRetired(course, report);
  checkUnique(course.quizzes, 'quiz', report);
  const cardIds = new Set(course.cards.map((c) => c.id));
  for (const quiz of course.quizzes) checkQuiz(quiz, cardIds, sectionIds, report);
  checkPlagiarism(course, indexSource(options.dissertation), report);
  checkSourceHeadings(course, options.dissertation, report);

  const coverage = computeCoverage(course);
  for (const row of coverage) {
    if (row.covered) continue;
    report(
      course.sectionsFile,
      'coverage',
      `section "${row.section.id}" is taught by ${plural(row.lessonSections.length, 'lesson section')} and ${plural(row.cards.length, 'card')} (needs ≥ ${MIN_LESSON_SECTIONS_PER_SECTION} and ≥ ${MIN_CARDS_PER_SECTION})`,
    );
  }
  const lint = lintCards(course.cards, course.lintExceptions, course.lintExceptionsFile);
  return { problems, lint, coverage, uncovered: coverage.filter((r) => !r.covered).length };
}

import { randomUUID } from 'node:crypto';
import { type CourseQuiz, nodeAsShown, type QuizScenario } from '@/lib/content';
import { renderMarkdown } from '@/lib/content/render';
import { getCourse } from '@/lib/course';
import { getDb, isUniqueViolation } from '@/lib/db';
import { AppError } from '@/lib/errors';
import { boostCards } from '@/lib/srs';
import {
  chooseOnNode,
  comparePaths,
  findLeaf,
  findNode,
  findScenario,
  type PathStep,
  plainSnippet,
  type StepRecord,
  scoreWalk,
  type WalkScore,
} from './walk';

export { chooseOnNode, comparePaths, findScenario, type PathStep, plainSnippet, type StepRecord, scoreWalk, type WalkScore } from './walk';

/**
 * Decision-tree quizzes as learners take them: attempts and every step are stored (nothing a
 * learner did is lost on a reload), a wrong choice brings the node's cards back into review.
 */

export interface QuizNodeView {
  id: string;
  promptHtml: string;
  evidence: string | null;
  choices: { index: number; label: string }[];
  /** Wrong choices already tried on this node, with their feedback. */
  tried: { index: number; feedbackHtml: string }[];
}

/** How much of a quiz's tree a learner has walked, over all their attempts. */
export interface TreeProgress {
  /** Questions answered right at least once (so passed through). */
  nodesWalked: number;
  nodes: number;
  /** Endings (leaves) reached. */
  leavesReached: number;
  leaves: number;
  /** Scenarios walked to their end at least once. */
  scenariosFinished: number;
  scenarios: number;
}

export interface AttemptView {
  attemptId: string;
  quizId: string;
  title: string;
  /** Which case this walk is (1-based) of how many; its title only once the walk has ended. */
  scenario: { number: number; of: number; title: string | null };
  tree: TreeProgress;
  /** How many nodes deep the learner is (1 = the first question). */
  depth: number;
  node: QuizNodeView | null;
  leaf: { title: string; bodyHtml: string } | null;
  score: WalkScore;
  /** Once the walk has ended: the path taken beside the ideal one, and the cards a miss brought back. */
  debrief: Debrief | null;
}

export interface Debrief {
  path: PathStep[];
  /** Cards behind the questions missed on this walk (they were made due), with their question side. */
  cards: { id: string; front: string }[];
}

function debriefOf(quiz: CourseQuiz, scenario: QuizScenario | undefined, steps: readonly StepRecord[], score: WalkScore): Debrief {
  const cards = new Map(getCourse().cards.map((c) => [c.id, c]));
  return {
    path: comparePaths(quiz, scenario, steps),
    cards: score.missedCardIds.flatMap((id) => {
      const c = cards.get(id);
      return c ? [{ id, front: plainSnippet(c.type === 'cloze' ? c.text : c.front) }] : [];
    }),
  };
}

function quizById(quizId: string): CourseQuiz {
  const quiz = getCourse().quizzes.find((q) => q.id === quizId);
  if (!quiz) throw new AppError('not_found', `There is no quiz "${quizId}".`);
  return quiz;
}

export interface QuizListItem {
  id: string;
  title: string;
  summary: string;
  part: string;
  nodes: number;
  last: { finished: boolean; firstTry: number; nodesPassed: number; at: Date } | null;
  tree: TreeProgress;
}

/** Every quiz, grouped by the course's part order, with the learner's latest attempt. */
export async function listQuizzes(userId: string): Promise<{ partTitle: string; quizzes: QuizListItem[] }[]> {
  const course = getCourse();
  const attempts = await getDb().quizAttempt.findMany({
    where: { userId },
    orderBy: { startedAt: 'desc' },
    include: { steps: { orderBy: { answeredAt: 'asc' } } },
  });
  const latest = new Map<string, (typeof attempts)[number]>();
  const byQuiz = new Map<string, (typeof attempts)[number][]>();
  for (const a of attempts) {
    if (!latest.has(a.quizId)) latest.set(a.quizId, a);
    byQuiz.set(a.quizId, [...(byQuiz.get(a.quizId) ?? []), a]);
  }
  return course.parts
    .map((p) => ({
      partTitle: p.title,
      quizzes: course.quizzes
        .filter((q) => q.part === p.id)
        .map((q) => {
          const a = latest.get(q.id);
          const score = a ? scoreWalk(q, a.steps) : null;
          return {
            id: q.id,
            title: q.title,
            summary: q.summary,
            part: q.part,
            nodes: q.nodes.length,
            last:
              a && score
                ? { finished: a.finishedAt !== null, firstTry: score.firstTry, nodesPassed: score.nodesPassed, at: a.startedAt }
                : null,
            tree: walkedSoFar(q, byQuiz.get(q.id) ?? []),
          };
        }),
    }))
    .filter((g) => g.quizzes.length > 0);
}

function nodeView(quiz: CourseQuiz, scenario: QuizScenario | undefined, nodeId: string, steps: StepRecord[]): QuizNodeView {
  const node = findNode(quiz, nodeId);
  if (!node) throw new Error(`quiz "${quiz.id}" lost node "${nodeId}"`);
  const shown = nodeAsShown(node, scenario);
  const tried = steps
    .filter((s) => s.nodeId === nodeId && !s.correct)
    .map((s) => ({ index: s.choiceIndex, feedbackHtml: renderMarkdown(node.choices[s.choiceIndex]?.feedback ?? '') }));
  return {
    id: node.id,
    promptHtml: renderMarkdown(shown.prompt),
    evidence: shown.evidence ?? null,
    choices: node.choices.map((c, index) => ({ index, label: c.label })),
    tried,
  };
}

/**
 * How much of `quiz` the learner has walked over every attempt: the questions passed, the endings
 * reached, and the scenarios finished (an attempt from before scenarios counts as the first).
 */
export async function treeProgress(userId: string, quiz: CourseQuiz): Promise<TreeProgress> {
  const attempts = await getDb().quizAttempt.findMany({
    where: { userId, quizId: quiz.id },
    select: {
      scenarioId: true,
      leafId: true,
      finishedAt: true,
      steps: { where: { correct: true }, select: { nodeId: true, correct: true } },
    },
  });
  return walkedSoFar(quiz, attempts);
}

interface AttemptRecord {
  scenarioId: string | null;
  leafId: string | null;
  finishedAt: Date | null;
  steps: { nodeId: string; correct: boolean }[];
}

function walkedSoFar(quiz: CourseQuiz, attempts: readonly AttemptRecord[]): TreeProgress {
  const nodeIds = new Set(quiz.nodes.map((n) => n.id));
  const leafIds = new Set(quiz.leaves.map((l) => l.id));
  const walked = new Set<string>();
  const reached = new Set<string>();
  const finished = new Set<string>();
  for (const a of attempts) {
    for (const s of a.steps) if (s.correct && nodeIds.has(s.nodeId)) walked.add(s.nodeId);
    if (a.leafId && leafIds.has(a.leafId)) reached.add(a.leafId);
    const scenario = findScenario(quiz, a.scenarioId);
    if (a.finishedAt && scenario) finished.add(scenario.id);
  }
  return {
    nodesWalked: walked.size,
    nodes: nodeIds.size,
    leavesReached: reached.size,
    leaves: leafIds.size,
    scenariosFinished: finished.size,
    scenarios: quiz.scenarios.length,
  };
}

async function attemptView(quiz: CourseQuiz, attemptId: string): Promise<AttemptView> {
  const a = await getDb().quizAttempt.findUnique({ where: { id: attemptId }, include: { steps: { orderBy: { answeredAt: 'asc' } } } });
  if (!a) throw new AppError('not_found', 'That quiz attempt does not exist.');
  const score = scoreWalk(quiz, a.steps);
  const leaf = a.leafId ? findLeaf(quiz, a.leafId) : undefined;
  const scenario = findScenario(quiz, a.scenarioId);
  return {
    attemptId: a.id,
    quizId: quiz.id,
    title: quiz.title,
    scenario: {
      number: scenario ? quiz.scenarios.indexOf(scenario) + 1 : 1,
      of: quiz.scenarios.length,
      title: a.finishedAt && scenario ? scenario.title : null,
    },
    tree: await treeProgress(a.userId, quiz),
    depth: score.nodesPassed + (a.nodeId ? 1 : 0),
    node: a.nodeId ? nodeView(quiz, scenario, a.nodeId, a.steps) : null,
    leaf: leaf ? { title: leaf.title, bodyHtml: renderMarkdown(leaf.body) } : null,
    score,
    debrief: a.finishedAt ? debriefOf(quiz, scenario, a.steps, score) : null,
  };
}

/** The learner's unfinished attempt at a quiz (to resume after a reload), or null. */
export async function findOpenAttempt(userId: string, quizId: string): Promise<AttemptView | null> {
  const quiz = quizById(quizId);
  const a = await getDb().quizAttempt.findFirst({ where: { userId, quizId, finishedAt: null }, orderBy: { startedAt: 'desc' } });
  return a ? attemptView(quiz, a.id) : null;
}

/**
 * Starts a new walk at the quiz's first node (an unfinished earlier walk is left as it was), with
 * the scenario this learner has met least often (ties: the one listed first), so retaking a quiz
 * shows a different case until every case has been seen.
 */
export async function startAttempt(userId: string, quizId: string, now: Date): Promise<AttemptView> {
  const quiz = quizById(quizId);
  const db = getDb();
  const earlier = await db.quizAttempt.findMany({ where: { userId, quizId }, select: { scenarioId: true } });
  const seen = new Map<string, number>();
  for (const a of earlier) {
    const s = findScenario(quiz, a.scenarioId);
    if (s) seen.set(s.id, (seen.get(s.id) ?? 0) + 1);
  }
  let drawn = quiz.scenarios[0];
  for (const s of quiz.scenarios) if ((seen.get(s.id) ?? 0) < (seen.get(drawn?.id ?? '') ?? 0)) drawn = s;
  const id = randomUUID();
  await db.quizAttempt.create({ data: { id, userId, quizId, scenarioId: drawn?.id ?? null, nodeId: quiz.start, startedAt: now } });
  return attemptView(quiz, id);
}

export interface AnswerResult {
  correct: boolean;
  feedbackHtml: string;
  /** Cards brought back into review by this (wrong) answer. */
  boosted: number;
  attempt: AttemptView;
}

/**
 * Records one choice on the node the learner stands on, atomically: the step, the attempt's new
 * position and the card boost of a wrong answer commit together or not at all.
 *
 * - A retried submit (same attempt, node and choice) is applied once and answered again: the step
 *   is unique per attempt, node and choice.
 * - The position moves with a conditional update (`WHERE nodeId = <the answered node>`), so of
 *   two concurrent submits on one node only one can move the walk; on PostgreSQL the update also
 *   takes the attempt's row lock, so a loser waits and then sees the new position. The loser of
 *   an identical pair finds the winner's step (or hits the unique key) and gets the replayed
 *   answer; a different choice that lost gets a 409.
 * - Answering a node the learner is no longer on is a `conflict` (409) whose `details.attempt` is
 *   the walk as it stands, so the client can resync.
 * - Another learner's attempt id is `not_found`, as if it did not exist.
 */
export async function answer(userId: string, attemptId: string, nodeId: string, choiceIndex: number, now: Date): Promise<AnswerResult> {
  const db = getDb();
  const a = await db.quizAttempt.findFirst({ where: { id: attemptId, userId } });
  if (!a) throw new AppError('not_found', 'That quiz attempt does not exist.');
  const quiz = quizById(a.quizId);
  const node = findNode(quiz, nodeId);
  if (!node)
    throw new AppError('invalid_input', `This quiz has no question "${nodeId}".`, {
      fields: [{ path: 'nodeId', message: 'no such question' }],
    });
  if (!node.choices[choiceIndex]) {
    throw new AppError('invalid_input', `Choice ${choiceIndex} does not exist on this question.`, {
      fields: [{ path: 'choiceIndex', message: 'no such choice' }],
    });
  }
  const outcome = chooseOnNode(quiz, node, choiceIndex, findScenario(quiz, a.scenarioId));
  const stepKey = { attemptId_nodeId_choiceIndex: { attemptId, nodeId, choiceIndex } };

  let recorded: { boosted: number } | 'replay' | 'stale';
  try {
    // 'replay' and 'stale' commit an empty transaction rather than throw: nothing to undo, and
    // the answer says why.
    recorded = await db.$transaction(
      async (tx) => {
        if (await tx.quizStep.findUnique({ where: stepKey })) return 'replay';
        const moved = await tx.quizAttempt.updateMany({
          where: { id: attemptId, nodeId },
          data: outcome.correct
            ? outcome.next.kind === 'node'
              ? { nodeId: outcome.next.node.id }
              : { nodeId: null, leafId: outcome.next.leaf.id, finishedAt: now }
            : { nodeId }, // no move, but the write takes the row lock that orders concurrent answers
        });
        if (moved.count === 0) return 'stale';
        await tx.quizStep.create({ data: { id: randomUUID(), attemptId, nodeId, choiceIndex, correct: outcome.correct, answeredAt: now } });
        return { boosted: outcome.correct ? 0 : await boostCards(userId, node.cards, now, tx) };
      },
      // Concurrent answers queue for the attempt's row (PostgreSQL) or the one connection
      // (SQLite); give the queue time rather than fail a submit with a 500.
      { maxWait: 15_000, timeout: 15_000 },
    );
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    recorded = 'replay'; // an identical submit committed between our read and our insert
  }
  // An identical submit that committed while this one waited for the row is a replay, not a conflict.
  if (recorded === 'stale' && (await db.quizStep.findUnique({ where: stepKey }))) recorded = 'replay';
  const attempt = await attemptView(quiz, attemptId);
  if (recorded === 'stale') {
    throw new AppError('conflict', 'That question is no longer the current one: the walk has moved on (in another tab?).', {
      details: { attempt },
    });
  }
  return {
    correct: outcome.correct,
    feedbackHtml: renderMarkdown(outcome.feedback),
    boosted: recorded === 'replay' ? 0 : recorded.boosted,
    attempt,
  };
}

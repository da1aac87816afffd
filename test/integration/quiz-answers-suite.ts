import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CourseQuiz, type QuizNode, rightChoiceIndex } from '@/lib/content';
import { getCourse, syncCourse } from '@/lib/course';
import { closeDb, getDb } from '@/lib/db';
import { AppError } from '@/lib/errors';
import { type AttemptView, answer, findScenario, startAttempt } from '@/lib/quiz';
import { deployMigrations, throwawayPostgres } from '../helpers/server';

/**
 * Quiz answers are atomic (issue 7, item 4), proved on a real database per provider
 * (quiz-answers-sqlite.test.ts, quiz-answers-postgresql.test.ts): a retried submit applies once,
 * concurrent twins give one step and 200/409 (never anything else), a stale question is a 409
 * carrying the walk as it stands, and another learner's attempt id is a 404.
 *
 * lib/quiz is called directly, as the route does (the route adds parsing and the session; the
 * AppError → status mapping is lib/errors' table, tested in test/unit/http-errors.test.ts).
 */
export function quizAnswersSuite(provider: 'sqlite' | 'postgresql') {
  describe(`quiz answers are atomic (${provider})`, () => {
    let cleanup: () => Promise<void> = async () => {};
    let quiz: CourseQuiz;
    let first: QuizNode;
    let right: number;
    let wrong: number;
    let other: number;
    const t0 = new Date('2026-11-20T10:00:00Z');
    const at = (s: number) => new Date(t0.getTime() + s * 1000);

    beforeAll(async () => {
      if (provider === 'sqlite') {
        const dir = mkdtempSync(path.join(tmpdir(), 'km-quiz-'));
        process.env.DATABASE_URL = `file:${path.join(dir, 'quiz.db')}`;
        cleanup = async () => rmSync(dir, { recursive: true, force: true });
      } else {
        const pg = await throwawayPostgres();
        process.env.DATABASE_URL = pg.url;
        cleanup = pg.drop;
      }
      await closeDb();
      deployMigrations(process.env.DATABASE_URL);
      await syncCourse(getCourse(), t0);
      for (const id of ['ada', 'bob', 'cy']) await getDb().user.create({ data: { id, email: `${id}@example.test`, name: id } });
      const found = getCourse().quizzes.find((q) => q.id === 'slow-app');
      const node = found?.nodes.find((n) => n.id === found.start);
      if (!found || !node || node.choices.length < 3) throw new Error('slow-app needs a first question with 3 choices');
      quiz = found;
      first = node;
      right = node.choices.findIndex((c) => c.correct);
      // Attempts draw alternating scenarios; the first question must be answered alike in all of them.
      if (found.scenarios.some((sc) => rightChoiceIndex(node, sc) !== right))
        throw new Error('slow-app scenarios differ on the first question');
      const wrongs = node.choices.map((_, i) => i).filter((i) => i !== right);
      [wrong = -1, other = -1] = wrongs;
    });
    afterAll(async () => {
      await closeDb();
      await cleanup();
    });

    const steps = (attemptId: string) => getDb().quizStep.findMany({ where: { attemptId } });
    const position = async (attemptId: string) => (await getDb().quizAttempt.findUniqueOrThrow({ where: { id: attemptId } })).nodeId;
    /** Every outcome of a batch of submits: 200 with the body, or the AppError's status. */
    const settle = async (submits: Promise<unknown>[]) =>
      (await Promise.allSettled(submits)).map((r) => {
        if (r.status === 'fulfilled') return 200;
        if (r.reason instanceof AppError) return r.reason.status;
        throw r.reason; // anything else would be a 500
      });

    it('applies a retried submit once and answers it again', async () => {
      const { attemptId } = await startAttempt('ada', quiz.id, at(0));
      const miss = await answer('ada', attemptId, first.id, wrong, at(1));
      expect(miss.correct).toBe(false);
      expect(miss.boosted).toBe(new Set(first.cards).size);
      const missAgain = await answer('ada', attemptId, first.id, wrong, at(2));
      expect(missAgain).toMatchObject({ correct: false, feedbackHtml: miss.feedbackHtml, boosted: 0 });
      expect(missAgain.attempt.node?.tried.map((t) => t.index)).toEqual([wrong]);

      const hit = await answer('ada', attemptId, first.id, right, at(3));
      const hitAgain = await answer('ada', attemptId, first.id, right, at(4));
      expect(hitAgain).toMatchObject({ correct: true, feedbackHtml: hit.feedbackHtml });
      expect(hitAgain.attempt.depth).toBe(2);
      expect(await steps(attemptId)).toHaveLength(2);
      expect(await position(attemptId)).toBe(first.choices[right]?.next);
      // The boost committed with the step: the first question's cards are due now.
      const due = await getDb().cardState.count({ where: { userId: 'ada', cardId: { in: first.cards }, due: { lte: at(1) } } });
      expect(due).toBe(new Set(first.cards).size);
    });

    it('turns eight identical concurrent submits into one step, each answered 200 or 409', async () => {
      for (const choice of [wrong, right]) {
        const { attemptId } = await startAttempt('ada', quiz.id, at(10));
        const statuses = await settle(Array.from({ length: 8 }, () => answer('ada', attemptId, first.id, choice, at(11))));
        expect(
          statuses.every((s) => s === 200 || s === 409),
          `statuses ${statuses}`,
        ).toBe(true);
        expect(statuses).toContain(200);
        const recorded = await steps(attemptId);
        expect(recorded.map((s) => [s.nodeId, s.choiceIndex])).toEqual([[first.id, choice]]);
        expect(await position(attemptId)).toBe(choice === right ? first.choices[right]?.next : first.id);
      }
    });

    it('orders a right and a wrong answer sent at once: never a wrong step after the walk moved on', async () => {
      for (let round = 0; round < 4; round++) {
        const { attemptId } = await startAttempt('ada', quiz.id, at(20));
        const [r, w] = await settle([answer('ada', attemptId, first.id, right, at(21)), answer('ada', attemptId, first.id, other, at(21))]);
        expect(r).toBe(200);
        expect([200, 409]).toContain(w);
        const recorded = await steps(attemptId);
        expect(recorded).toHaveLength(w === 200 ? 2 : 1);
        expect(await position(attemptId)).toBe(first.choices[right]?.next);
      }
    });

    it('answers a question the walk has left with 409 and the walk as it stands', async () => {
      const { attemptId } = await startAttempt('ada', quiz.id, at(30));
      const moved = await answer('ada', attemptId, first.id, right, at(31));
      const err = await answer('ada', attemptId, first.id, other, at(32)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).status).toBe(409);
      expect((err as AppError).extra.details).toEqual({ attempt: moved.attempt });
      expect(await steps(attemptId)).toHaveLength(1);
    });

    it('treats another learner’s attempt id as not found and records nothing', async () => {
      const { attemptId } = await startAttempt('ada', quiz.id, at(40));
      const err = await answer('bob', attemptId, first.id, right, at(41)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).status).toBe(404);
      expect(await steps(attemptId)).toHaveLength(0);
      expect(await position(attemptId)).toBe(first.id);
    });

    /** Walks an attempt to its leaf with the right choice of its scenario on every node. */
    async function walkToLeaf(userId: string, start: AttemptView, seconds: number): Promise<AttemptView> {
      let view = start;
      const scenario = quiz.scenarios[view.scenario.number - 1];
      while (view.node) {
        const node = quiz.nodes.find((n) => n.id === view.node?.id);
        if (!node) throw new Error(`no node ${view.node.id}`);
        view = (await answer(userId, view.attemptId, node.id, rightChoiceIndex(node, scenario), at(seconds))).attempt;
      }
      return view;
    }

    it('draws the scenario the learner has met least, and counts how much of the tree they walked', async () => {
      expect(quiz.scenarios.length).toBe(2);
      const [first, second] = quiz.scenarios;
      const one = await startAttempt('cy', quiz.id, at(50));
      expect(one.scenario).toEqual({ number: 1, of: 2, title: null });
      expect(one.tree).toMatchObject({ nodesWalked: 0, leavesReached: 0, scenariosFinished: 0, scenarios: 2 });
      const endOne = await walkToLeaf('cy', one, 51);
      expect(endOne.scenario.title).toBe(first?.title);
      expect(endOne.tree).toMatchObject({ leavesReached: 1, scenariosFinished: 1 });

      const two = await startAttempt('cy', quiz.id, at(60));
      expect(two.scenario.number).toBe(2);
      const endTwo = await walkToLeaf('cy', two, 61);
      expect(endTwo.leaf?.title).not.toBe(endOne.leaf?.title);
      expect(endTwo.scenario.title).toBe(second?.title);
      expect(endTwo.tree).toMatchObject({ leavesReached: 2, scenariosFinished: 2, leaves: quiz.leaves.length });
      expect(endTwo.tree.nodesWalked).toBeGreaterThan(endOne.tree.nodesWalked);

      // Both seen once: the tie goes to the first; an unfinished walk counts as seen.
      expect((await startAttempt('cy', quiz.id, at(70))).scenario.number).toBe(1);
      expect((await startAttempt('cy', quiz.id, at(71))).scenario.number).toBe(2);
      // Another learner starts from the first scenario, whatever cy has seen.
      expect((await startAttempt('bob', quiz.id, at(72))).scenario.number).toBe(1);
      expect(findScenario(quiz, null)).toBe(first);
    });
  });
}

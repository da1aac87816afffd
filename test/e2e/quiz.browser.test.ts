import { beforeAll, describe, expect, it } from 'vitest';
import { type CourseQuiz, loadCourse } from '@/lib/content';
import { screenshotPath, useServerAndBrowser } from '../helpers/browser';
import { newAccount } from '../helpers/http';

describe('browser: walk a decision-tree quiz', () => {
  const app = useServerAndBrowser();
  let quiz: CourseQuiz;
  beforeAll(async () => {
    const found = loadCourse('content').quizzes.find((q) => q.id === 'slow-app');
    if (!found) throw new Error('the slow-app quiz is missing');
    quiz = found;
  });

  it('explains a wrong turn, resumes after a reload, ends at the tool, and sends missed cards to review', async () => {
    const context = await app.browser.newContext({ viewport: { width: 1100, height: 900 } });
    const signUp = await context.request.post(`${app.server.url}/api/auth/sign-up`, {
      data: newAccount('quiz'),
      headers: { origin: app.server.url },
    });
    expect(signUp.status()).toBe(201);
    const page = await context.newPage();
    await page.goto(`${app.server.url}/quizzes`);
    await page.getByRole('link', { name: quiz.title }).click();
    await page.getByRole('button', { name: 'Start the quiz' }).click();

    let nodeId: string | undefined = quiz.start;
    let depth = 0;
    while (nodeId) {
      const node = quiz.nodes.find((n) => n.id === nodeId);
      if (!node) throw new Error(`no node ${nodeId}`);
      depth += 1;
      await expect.poll(() => page.locator('.quiz-progress').textContent()).toBe(`Question ${depth}`);
      const right = node.choices.findIndex((c) => c.correct);
      const wrong = node.choices.findIndex((c) => !c.correct);
      if (depth === 1) {
        // A wrong choice by keyboard: its feedback appears and the choice is disabled.
        await page.keyboard.press(String(wrong + 1));
        await expect.poll(() => page.locator('.quiz-feedback.wrong').count()).toBe(1);
        expect(await page.locator('.quiz-choice').nth(wrong).isDisabled()).toBe(true);
        await page.screenshot({ path: screenshotPath('quiz-wrong-turn') });
        // The walk is saved: a reload shows the same question with the wrong turn still marked.
        await page.reload();
        await expect.poll(() => page.locator('.quiz-progress').textContent()).toBe('Question 1');
        await expect.poll(() => page.locator('.quiz-choice').nth(wrong).isDisabled()).toBe(true);
      }
      await page.locator('.quiz-choice').nth(right).click();
      await page.getByText('Right.').waitFor();
      await page.keyboard.press('Enter');
      const choice = node.choices[right];
      nodeId = choice?.next;
      if (choice?.leaf) {
        const leaf = quiz.leaves.find((l) => l.id === choice.leaf);
        await page.getByRole('heading', { name: leaf?.title ?? '' }).waitFor();
      }
    }
    const result = page.getByTestId('quiz-result');
    await expect.poll(() => result.textContent()).toContain(`${depth - 1} of ${depth} questions right the first time`);
    await expect.poll(() => result.textContent()).toMatch(/\d+ cards behind the questions you missed are due in your review queue/);
    await page.screenshot({ path: screenshotPath('quiz-result') });

    const firstNode = quiz.nodes.find((n) => n.id === quiz.start);
    await page.goto(`${app.server.url}/review`);
    await expect.poll(async () => Number(await page.getByTestId('queue-due').textContent())).toBe(new Set(firstNode?.cards).size);
    await page.goto(`${app.server.url}/today`);
    await expect.poll(() => page.getByTestId('quizzes-finished').textContent()).toMatch(/^1\s*\/\s*\d+$/);
    await context.close();
  });
});

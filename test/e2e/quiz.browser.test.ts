import type { BrowserContext, Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { type CourseQuiz, loadCourse, rightChoiceIndex } from '@/lib/content';
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

  async function signedIn(context: BrowserContext, who: string): Promise<Page> {
    const signUp = await context.request.post(`${app.server.url}/api/auth/sign-up`, {
      data: newAccount(who),
      headers: { origin: app.server.url },
    });
    expect(signUp.status()).toBe(201);
    return context.newPage();
  }

  const question = (page: Page) => page.getByTestId('quiz-question').textContent();
  const treeLine = (page: Page) => page.locator('.quiz-tree-text').textContent();

  /** Walks scenario `number` (1-based) to its leaf with right answers, by mouse or keyboard. Returns the depth. */
  async function walk(page: Page, number: number, opts: { wrongFirst?: boolean; keyboard?: boolean } = {}): Promise<number> {
    const scenario = quiz.scenarios[number - 1];
    if (!scenario) throw new Error(`slow-app has no scenario ${number}`);
    let nodeId: string | undefined = quiz.start;
    let depth = 0;
    while (nodeId) {
      const node = quiz.nodes.find((n) => n.id === nodeId);
      if (!node) throw new Error(`no node ${nodeId}`);
      depth += 1;
      await expect.poll(() => question(page)).toBe(`Question ${depth}`);
      await expect.poll(() => page.locator('.quiz-progress').textContent()).toContain(`scenario ${number} of ${quiz.scenarios.length}`);
      const evidence = scenario.evidence[node.id] ?? node.evidence;
      if (evidence) await expect.poll(() => page.locator('.quiz-evidence').textContent()).toBe(evidence);
      const right = rightChoiceIndex(node, scenario);
      const wrong = node.choices.findIndex((_, i) => i !== right);
      if (depth === 1 && opts.wrongFirst) {
        // A wrong choice by keyboard: its feedback appears and the choice is disabled.
        await page.keyboard.press(String(wrong + 1));
        await expect.poll(() => page.locator('.quiz-feedback.wrong').count()).toBe(1);
        expect(await page.locator('.quiz-choice').nth(wrong).isDisabled()).toBe(true);
        await page.screenshot({ path: screenshotPath('quiz-wrong-turn') });
        // The walk is saved: a reload shows the same question with the wrong turn still marked.
        await page.reload();
        await expect.poll(() => question(page)).toBe('Question 1');
        await expect.poll(() => page.locator('.quiz-choice').nth(wrong).isDisabled()).toBe(true);
      }
      if (opts.keyboard) await page.keyboard.press(String(right + 1));
      else await page.locator('.quiz-choice').nth(right).click();
      await page.locator('.quiz-feedback.right').waitFor();
      await page.keyboard.press('Enter');
      const choice = node.choices[right];
      nodeId = choice?.next;
      if (choice?.leaf) {
        const leaf = quiz.leaves.find((l) => l.id === choice.leaf);
        await page.getByRole('heading', { name: leaf?.title ?? '' }).waitFor();
      }
    }
    return depth;
  }

  it('explains a wrong turn, resumes after a reload, ends at the tool, sends missed cards to review, then draws the other scenario', async () => {
    const context = await app.browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await signedIn(context, 'quiz');
    await page.goto(`${app.server.url}/quizzes`);
    await page.getByRole('link', { name: quiz.title }).click();
    const total = quiz.nodes.length + quiz.leaves.length;
    await expect.poll(() => page.getByRole('progressbar').getAttribute('aria-valuenow')).toBe('0');
    await expect
      .poll(() => treeLine(page))
      .toBe(
        `0 of ${quiz.nodes.length} questions passed · 0 of ${quiz.leaves.length} endings reached · 0 of ${quiz.scenarios.length} scenarios finished`,
      );
    await page.getByRole('button', { name: 'Start the quiz' }).click();

    const depth = await walk(page, 1, { wrongFirst: true });
    const result = page.getByTestId('quiz-result');
    await expect.poll(() => result.textContent()).toContain(`${depth - 1} of ${depth} questions right the first time`);
    await expect.poll(() => result.textContent()).toMatch(/\d+ cards behind the questions you missed are due in your review queue/);
    // The scenario is named only now that the walk is over, and the tree shows what was walked.
    await expect.poll(() => result.textContent()).toContain(`scenario 1 of 2: ${quiz.scenarios[0]?.title}`);
    await expect
      .poll(() => treeLine(page))
      .toBe(`${depth} of ${quiz.nodes.length} questions passed · 1 of ${quiz.leaves.length} endings reached · 1 of 2 scenarios finished`);
    await expect.poll(() => page.getByRole('progressbar').getAttribute('aria-valuenow')).toBe(String(depth + 1));
    // The end screen: every question of the ideal path, the wrong turn marked beside the ideal choice.
    const firstNode = quiz.nodes.find((n) => n.id === quiz.start);
    if (!firstNode) throw new Error('no start node');
    const right = firstNode.choices[rightChoiceIndex(firstNode, quiz.scenarios[0])];
    const steps = page.getByTestId('quiz-path').locator('.quiz-path > li');
    await expect.poll(() => steps.count()).toBe(depth);
    await expect.poll(() => page.locator('.quiz-path > li.detour').count()).toBe(1);
    const firstStep = steps.first();
    expect(await firstStep.locator('.quiz-path-taken li.wrong').count()).toBe(1);
    expect(await firstStep.locator('.quiz-path-taken li.right').textContent()).toContain(right?.label ?? '');
    expect(await firstStep.locator('.quiz-path-ideal').textContent()).toBe(right?.label);
    expect(await page.getByTestId('quiz-path').textContent()).toContain(`You left the ideal path at 1 of ${depth} questions`);
    // …and the cards the miss brought back, each by its question side.
    const missedCards = new Set(firstNode.cards);
    await expect.poll(() => page.getByTestId('quiz-cards').locator('li').count()).toBe(missedCards.size);
    await page.screenshot({ path: screenshotPath('quiz-result'), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: screenshotPath('quiz-result-390'), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 900 });

    // "Review them now": the Review page puts exactly those cards first.
    await page.getByTestId('quiz-review-now').click();
    await page.waitForURL(/\/review\?cards=/);
    await expect
      .poll(() => page.getByTestId('review-first').textContent())
      .toContain(`the ${missedCards.size === 1 ? 'card' : `${missedCards.size} cards`} your quiz walk brought back`);
    await expect.poll(async () => Number(await page.getByTestId('queue-due').textContent())).toBe(missedCards.size);
    expect(missedCards.has((await page.getByTestId('review-card').getAttribute('data-card-id')) ?? '')).toBe(true);
    await page.goto(`${app.server.url}/today`);
    await expect.poll(() => page.getByTestId('quizzes-finished').textContent()).toMatch(/^1\s*\/\s*\d+$/);

    // Retaking draws the scenario not yet seen: different evidence, a different branch, a different ending.
    await page.goto(`${app.server.url}/quizzes/${quiz.id}`);
    await page.getByRole('button', { name: 'Walk another scenario' }).click();
    const depth2 = await walk(page, 2, { keyboard: true });
    await expect.poll(() => result.textContent()).toContain(`scenario 2 of 2: ${quiz.scenarios[1]?.title}`);
    await expect
      .poll(() => treeLine(page))
      .toMatch(new RegExp(`· 2 of ${quiz.leaves.length} endings reached · 2 of 2 scenarios finished$`));
    expect(depth2).toBeGreaterThan(1);
    await expect.poll(() => page.getByRole('progressbar').getAttribute('aria-valuenow')).toBe(String(total));
    await expect.poll(() => page.getByRole('button', { name: 'Walk it again' }).count()).toBe(1);
    await page.screenshot({ path: screenshotPath('quiz-second-scenario') });
    await page.goto(`${app.server.url}/quizzes`);
    await expect.poll(() => page.getByRole('link', { name: quiz.title }).textContent()).toContain(`tree ${total}/${total} walked`);
    await context.close();
  });

  it('resyncs a second tab whose question was already answered (409), on a phone in dark mode', async () => {
    const context = await app.browser.newContext({ viewport: { width: 390, height: 844 }, colorScheme: 'dark', isMobile: true });
    const a = await signedIn(context, 'quiz-tabs');
    await a.goto(`${app.server.url}/quizzes/${quiz.id}`);
    await a.getByRole('button', { name: 'Start the quiz' }).click();
    await expect.poll(() => question(a)).toBe('Question 1');
    const b = await context.newPage();
    await b.goto(`${app.server.url}/quizzes/${quiz.id}`);
    await expect.poll(() => question(b)).toBe('Question 1');

    const first = quiz.nodes.find((n) => n.id === quiz.start);
    if (!first) throw new Error('no start node');
    const right = rightChoiceIndex(first, quiz.scenarios[0]);
    const wrong = first.choices.findIndex((_, i) => i !== right);
    await a.locator('.quiz-choice').nth(right).click();
    await a.locator('.quiz-feedback.right').waitFor();

    // Tab B still shows question 1; answering it is stale: B moves to where the walk stands instead.
    await b.locator('.quiz-choice').nth(wrong).click();
    await expect.poll(() => b.locator('.form-error').textContent()).toContain('already moved on');
    await expect.poll(() => question(b)).toBe('Question 2');
    expect(await b.locator('.quiz-feedback.wrong').count()).toBe(0);
    // Long evidence lines scroll inside their box; the page itself never scrolls sideways on a phone.
    expect(await b.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await b.screenshot({ path: screenshotPath('quiz-resynced-390-dark'), fullPage: true });
    // Nothing was recorded for the stale click: B can go on from question 2 and a reload agrees.
    await b.reload();
    await expect.poll(() => question(b)).toBe('Question 2');
    expect(await b.locator('.quiz-feedback.wrong').count()).toBe(0);
    await context.close();
  });
});

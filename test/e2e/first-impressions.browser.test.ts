import type { BrowserContext, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { loadCourse } from '@/lib/content';
import { screenshotPath, useServerAndBrowser, waitForShortcuts } from '../helpers/browser';
import { newAccount } from '../helpers/http';

const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

async function signUp(context: BrowserContext, url: string, prefix: string) {
  const account = newAccount(prefix);
  const res = await context.request.post(`${url}/api/auth/sign-up`, { data: account, headers: { origin: url } });
  expect(res.status()).toBe(201);
  return account;
}

/** The page's background colour as the reader sees it. */
const background = (page: Page) => page.evaluate(() => getComputedStyle(document.body).backgroundColor);

describe('first impressions: the landing page, a new learner’s first visit, and the small things', () => {
  const app = useServerAndBrowser();
  const course = loadCourse();

  for (const viewport of [DESKTOP, PHONE]) {
    it(`shows signed-out visitors what Kernel Map is, with real previews and a way in (${viewport.width} px)`, async () => {
      const context = await app.browser.newContext({ viewport });
      const page = await context.newPage();
      await page.goto(app.server.url);
      expect(new URL(page.url()).pathname).toBe('/');
      await page.getByRole('heading', { level: 1, name: /Learn how Linux really works/ }).waitFor();
      for (const step of ['Read a lesson', 'Review a few cards a day', 'Walk a quiz', 'Work a lab'])
        expect(await page.getByRole('heading', { name: step }).isVisible()).toBe(true);
      // The previews are the course's own first card and first quiz question.
      const card = course.cards.find((c) => c.type === 'qa');
      const firstWords = card && 'front' in card ? card.front.replace(/[`*_]/g, '').slice(0, 25) : '';
      expect(await page.getByTestId('preview-card').textContent()).toContain(firstWords);
      expect(await page.getByTestId('preview-quiz').textContent()).toContain(course.quizzes[0]?.title ?? '?');
      const tag = await page.getByTestId('preview-card').getByText('Show the answer');
      await tag.click();
      await page.screenshot({ path: screenshotPath(`landing-${viewport.width}`), fullPage: true });
      await page.getByRole('link', { name: 'Create a free account' }).click();
      await page.getByRole('heading', { name: 'Create your account' }).waitFor();
      await context.close();
    });
  }

  it('greets a brand-new learner as new, leads with one next step, and lists the labs', async () => {
    const context = await app.browser.newContext({ viewport: DESKTOP });
    const page = await context.newPage();
    const account = newAccount('newbie');
    await page.goto(`${app.server.url}/sign-up`);
    await page.getByLabel('Name').fill(account.name);
    await page.getByLabel('Email').fill(account.email);
    await page.getByLabel('Password').fill(account.password);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('heading', { name: 'Today' }).waitFor();
    const greeting = await page.getByTestId('greeting').textContent();
    expect(greeting).toContain('Welcome to Kernel Map');
    expect(greeting).not.toContain('Welcome back');
    const next = page.getByTestId('next-step');
    expect(await next.getByRole('heading').textContent()).toBe(`Read the first lesson: ${course.lessons[0]?.title}`);
    expect(
      await page
        .getByTestId('today-labs')
        .getByRole('link', { name: /Hello from the guest/ })
        .isVisible(),
    ).toBe(true);
    await page.screenshot({ path: screenshotPath('today-new-learner'), fullPage: true });

    // After reading that lesson, the learner is no longer new, and its cards are due to review.
    await next.getByRole('link', { name: 'Read it' }).click();
    await page.getByRole('heading', { level: 1, name: course.lessons[0]?.title }).waitFor();
    await page.getByRole('button', { name: 'Mark as read' }).click();
    await page.getByText('✓ Read').waitFor();
    await page.goto(`${app.server.url}/today`);
    expect(await page.getByTestId('greeting').textContent()).toContain('Welcome back');
    expect(await next.getByRole('heading').textContent()).toMatch(/^(Review \d+ cards?|Read the next lesson: .+)$/);
    await context.close();
  });

  it('sends an instructor who signs in to the instructor area', async () => {
    const context = await app.browser.newContext({ viewport: DESKTOP });
    const page = await context.newPage();
    await page.goto(`${app.server.url}/sign-in`);
    await page.getByLabel('Email').fill('instructor@kernelmap.test');
    await page.getByLabel('Password').fill('kernelmap-instructor');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Instructor' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/instructor');
    // And `/` takes a signed-in instructor there too.
    await page.goto(app.server.url);
    expect(new URL(page.url()).pathname).toBe('/instructor');
    await context.close();
  });

  it('counts the sign-in wait down in the page', async () => {
    const context = await app.browser.newContext({ viewport: PHONE });
    const account = await signUp(context, app.server.url, 'countdown');
    await context.clearCookies(); // signed out again, to sign in through the form
    // Ten wrong passwords from this address use up its allowance for the account (SIGNIN_LIMIT).
    for (let i = 0; i < 10; i++) {
      const res = await context.request.post(`${app.server.url}/api/auth/sign-in`, {
        data: { email: account.email, password: 'wrong wrong wrong' },
        headers: { origin: app.server.url },
      });
      expect(res.status()).toBe(401);
    }
    const page = await context.newPage();
    await page.goto(`${app.server.url}/sign-in`);
    await page.getByLabel('Email').fill(account.email);
    await page.getByLabel('Password').fill(account.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const countdown = page.getByTestId('retry-countdown');
    await countdown.waitFor();
    const first = Number(await countdown.textContent());
    expect(first).toBeGreaterThan(200);
    expect(await page.locator('form [role="alert"]').textContent()).toMatch(/Too many sign-in attempts/);
    expect(await page.getByRole('button', { name: /Wait \d+ s/ }).isDisabled()).toBe(true);
    await expect.poll(async () => Number(await countdown.textContent()), { timeout: 5000 }).toBeLessThan(first);
    await page.screenshot({ path: screenshotPath('sign-in-countdown-phone'), fullPage: true });
    await context.close();
  });

  it('theme toggle: the first click changes the page, from either system theme', async () => {
    for (const colorScheme of ['light', 'dark'] as const) {
      const context = await app.browser.newContext({ viewport: DESKTOP, colorScheme });
      await signUp(context, app.server.url, `theme-${colorScheme}`);
      const page = await context.newPage();
      await page.goto(`${app.server.url}/today`);
      const before = await background(page);
      await page.getByRole('button', { name: /Switch to (light|dark) theme/ }).click();
      await expect.poll(() => background(page)).not.toBe(before);
      // The choice survives a reload.
      const after = await background(page);
      await page.reload();
      expect(await background(page)).toBe(after);
      await context.close();
    }
  });

  it('has a favicon', async () => {
    const context = await app.browser.newContext();
    const page = await context.newPage();
    await page.goto(app.server.url);
    const href = await page.locator('link[rel="icon"]').first().getAttribute('href');
    expect(href).toBeTruthy();
    const res = await context.request.get(new URL(href ?? '', app.server.url).toString());
    expect(res.status()).toBe(200);
    expect(res.headers()['content-type']).toContain('image/svg+xml');
    await context.close();
  });

  it('moves the focus to the main heading after a "g" shortcut', async () => {
    const context = await app.browser.newContext({ viewport: DESKTOP });
    await signUp(context, app.server.url, 'focus');
    const page = await context.newPage();
    await page.goto(`${app.server.url}/today`);
    await page.getByRole('heading', { name: 'Today' }).waitFor();
    await waitForShortcuts(page);
    await page.keyboard.press('g');
    await page.keyboard.press('l');
    await page.getByRole('heading', { level: 1, name: 'Learn' }).waitFor();
    await expect
      .poll(() => page.evaluate(() => `${document.activeElement?.tagName} ${document.activeElement?.textContent}`))
      .toBe('H1 Learn');
    await context.close();
  });

  it('hides the "marking read will…" hint once the lesson is marked read', async () => {
    const context = await app.browser.newContext({ viewport: PHONE });
    await signUp(context, app.server.url, 'hint');
    const page = await context.newPage();
    const lesson = course.lessons[1];
    await page.goto(`${app.server.url}/learn/${lesson?.id}`);
    const hint = page.getByTestId('mark-read-hint');
    expect(await hint.textContent()).toMatch(/Marking the lesson read puts its \d+ cards/);
    await page.getByRole('button', { name: 'Mark as read' }).click();
    await page.getByText('✓ Read').waitFor();
    expect(await hint.count()).toBe(0);
    expect(await page.getByText(/Marking the lesson read/).count()).toBe(0);
    await context.close();
  });

  for (const viewport of [DESKTOP, PHONE]) {
    it(`quiz: a right answer says "Right" once, Continue is in view and Enter continues (${viewport.width} px)`, async () => {
      const context = await app.browser.newContext({ viewport });
      await signUp(context, app.server.url, `quiz-${viewport.width}`);
      const page = await context.newPage();
      // A quiz whose first right answer's feedback itself starts with "Right", the case that doubled it.
      const quiz =
        course.quizzes.find((q) =>
          q.nodes
            .find((n) => n.id === q.start)
            ?.choices.find((c) => c.correct)
            ?.feedback.startsWith('Right'),
        ) ?? course.quizzes[0];
      if (!quiz) throw new Error('no quizzes');
      const node = quiz.nodes.find((n) => n.id === quiz.start);
      const right = node?.choices.findIndex((c) => c.correct) ?? -1;
      await page.goto(`${app.server.url}/quizzes/${quiz.id}`);
      await page.getByRole('button', { name: 'Start the quiz' }).click();
      await page.getByText('Question 1').waitFor();
      await page.keyboard.press(String(right + 1));
      const cont = page.getByRole('button', { name: /Continue/ });
      await cont.waitFor();
      const feedback = (await page.locator('.quiz-feedback.right').textContent()) ?? '';
      expect(feedback.match(/\bRight\b/g)?.length, feedback).toBe(1);
      await expect.poll(() => cont.evaluate((el) => el === document.activeElement)).toBe(true);
      const box = await cont.boundingBox();
      expect(box && box.y >= 0 && box.y + box.height <= viewport.height, 'Continue is inside the viewport').toBe(true);
      await page.screenshot({ path: screenshotPath(`quiz-right-${viewport.width}`) });
      await page.keyboard.press('Enter');
      await expect.poll(() => page.getByRole('button', { name: /Continue/ }).count()).toBe(0);
      await expect.poll(async () => (await page.getByText('Question 2').count()) + (await page.getByTestId('quiz-result').count())).toBe(1);
      await context.close();
    });
  }
});

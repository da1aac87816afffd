import { describe, expect, it } from 'vitest';
import { screenshotPath, useServerAndBrowser } from '../helpers/browser';
import { newAccount } from '../helpers/http';

describe('browser: read a lesson, mark it read, its cards join the review queue', () => {
  const app = useServerAndBrowser();

  it('moves a lesson’s cards into the queue when the lesson is marked read', async () => {
    const account = newAccount('reader');
    const context = await app.browser.newContext({ viewport: { width: 1280, height: 900 } });
    // Sign up through the API in the browser's own cookie jar (the sign-up form has its own test).
    const signUp = await context.request.post(`${app.server.url}/api/auth/sign-up`, { data: account, headers: { origin: app.server.url } });
    expect(signUp.status()).toBe(201);
    const page = await context.newPage();

    await page.goto(`${app.server.url}/review`);
    await expect.poll(() => page.getByTestId('queue-size').textContent()).toBe('0');

    await page.goto(`${app.server.url}/learn`);
    await page.getByRole('heading', { name: 'Learn', level: 1 }).waitFor();
    await page.screenshot({ path: screenshotPath('learn') });
    const firstLesson = page.locator('.lesson-link').first();
    const firstLessonTitle = firstLesson.locator('.lesson-title').textContent();
    const meta = (await firstLesson.locator('.lesson-meta').textContent()) ?? '';
    const cardCount = Number(/(\d+) cards/.exec(meta)?.[1]);
    expect(cardCount).toBeGreaterThan(1);
    await firstLesson.click();

    // The lesson renders: a title, a table of contents whose links are section anchors, code.
    await page.locator('article.lesson h1').waitFor();
    const tocLinks = page.getByRole('navigation', { name: 'On this page' }).getByRole('link');
    expect(await tocLinks.count()).toBeGreaterThan(1);
    const href = (await tocLinks.first().getAttribute('href')) ?? '';
    expect(href).toMatch(/^#[a-z0-9-]+$/);
    expect(await page.locator(`.prose [id="${href.slice(1)}"]`).count()).toBe(1);
    await page.screenshot({ path: screenshotPath('lesson-light') });

    await page.getByRole('button', { name: 'Mark as read' }).click();
    await expect
      .poll(() => page.getByRole('status').filter({ hasText: 'joined your review queue' }).textContent())
      .toContain(`${cardCount} cards from this lesson joined your review queue`);
    expect(await page.getByText('✓ Read').isVisible()).toBe(true);

    await page.goto(`${app.server.url}/review`);
    await expect.poll(() => page.getByTestId('queue-size').textContent()).toBe(String(cardCount));
    // Today points at the next unread lesson.
    await page.goto(`${app.server.url}/today`);
    await expect.poll(() => page.getByTestId('lessons-read').textContent()).toMatch(/^1\s*\/\s*\d+$/);
    expect(await page.getByRole('link', { name: (await firstLessonTitle) ?? '' }).count()).toBe(0);
    await page.goto(`${app.server.url}/learn`);
    expect(await page.locator('.lesson-link').first().getByRole('img', { name: 'read' }).count()).toBe(1);

    // Switching to "all cards now" fills the queue with every card of the course.
    await page.getByLabel('All cards now').check();
    await expect.poll(() => page.getByRole('status').filter({ hasText: 'Saved' }).textContent()).toMatch(/\d+ cards joined/);
    await page.goto(`${app.server.url}/review`);
    await expect.poll(async () => Number(await page.getByTestId('queue-size').textContent())).toBeGreaterThan(250);
    await context.close();
  });
});

import type { BrowserContext, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { screenshotPath, useServerAndBrowser, waitForReviewer } from '../helpers/browser';
import { newAccount } from '../helpers/http';

/** Number of rows in the learner's review log, read through the export (what the server really holds). */
async function serverLog(context: BrowserContext, base: string): Promise<string[]> {
  const res = await context.request.get(`${base}/api/review/export?format=log`);
  expect(res.status()).toBe(200);
  const lines = (await res.text()).split(/\r?\n/).filter((l) => l !== '');
  return lines.slice(1);
}

async function currentCard(page: Page): Promise<string> {
  return (await page.getByTestId('review-card').getAttribute('data-card-id')) ?? '';
}

/** Space, then a rating key; returns the card that was rated. */
async function rateByKeyboard(page: Page, key: '1' | '2' | '3' | '4'): Promise<string> {
  const id = await currentCard(page);
  await page.keyboard.press('Space');
  await page.getByTestId('review-answer').waitFor();
  await page.keyboard.press(key);
  await expect.poll(() => currentCard(page)).not.toBe(id);
  return id;
}

describe('browser: daily review by keyboard, undo, offline and back, stats', () => {
  const app = useServerAndBrowser();

  it('reviews by keyboard, undoes, keeps three offline ratings and syncs them when back online', async () => {
    const context = await app.browser.newContext({ viewport: { width: 1280, height: 900 } });
    const base = app.server.url;
    const signUp = await context.request.post(`${base}/api/auth/sign-up`, { data: newAccount('reviewer'), headers: { origin: base } });
    expect(signUp.status()).toBe(201);
    const all = await context.request.put(`${base}/api/settings/learning`, {
      data: { cardIntroduction: 'all' },
      headers: { origin: base },
    });
    expect(all.status()).toBe(200);
    const page = await context.newPage();
    await page.goto(`${base}/review`);
    await waitForReviewer(page);
    await expect.poll(() => page.getByTestId('count-new').textContent()).toBe('20 new');
    await expect.poll(() => page.getByTestId('count-learning').textContent()).toBe('0 learning');

    // Space shows the answer; each rating button shows its next interval.
    await page.keyboard.press('Space');
    await page.getByTestId('review-answer').waitFor();
    expect(await page.getByTestId('rate-1').textContent()).toContain('1 min');
    expect(await page.getByTestId('rate-3').textContent()).toContain('10 min');
    expect(await page.getByTestId('rate-4').textContent()).toMatch(/\d+ d/);
    await page.screenshot({ path: screenshotPath('review-answer-1280') });
    const first = await currentCard(page);
    await page.keyboard.press('3'); // Good: into the 10-minute learning step
    await expect.poll(() => currentCard(page)).not.toBe(first);
    await expect.poll(() => page.getByTestId('count-learning').textContent()).toBe('1 learning');
    await expect.poll(() => page.getByTestId('count-new').textContent()).toBe('19 new');

    const second = await rateByKeyboard(page, '4'); // Easy: graduates, leaves today's queue
    await expect.poll(() => page.getByTestId('sync-state').textContent()).toBe('All ratings saved.');
    expect((await serverLog(context, base)).length).toBe(2);

    // U undoes the last rating: the card is back, and the server no longer has that review.
    await page.keyboard.press('u');
    await expect.poll(() => currentCard(page)).toBe(second);
    await expect.poll(() => page.getByText('is back.').count()).toBe(1);
    await expect.poll(async () => (await serverLog(context, base)).length).toBe(1);
    expect((await serverLog(context, base))[0]).toContain(first);

    // The connection drops: reviewing goes on from what the page holds; ratings wait in IndexedDB.
    await context.setOffline(true);
    const offline = [await rateByKeyboard(page, '3'), await rateByKeyboard(page, '3'), await rateByKeyboard(page, '1')];
    expect(new Set(offline).size).toBe(3);
    await expect.poll(() => page.getByTestId('sync-state').textContent()).toMatch(/^Offline — 3 ratings waiting to sync/);
    await page.screenshot({ path: screenshotPath('review-offline-1280') });

    // Back online: all three are sent, once each.
    await context.setOffline(false);
    await expect.poll(() => page.getByTestId('sync-state').textContent(), { timeout: 30_000 }).toBe('All ratings saved.');
    const log = await serverLog(context, base);
    expect(log.length).toBe(4);
    for (const id of offline) expect(log.filter((l) => l.includes(`,${id},`)).length).toBe(1);
    expect(new Set(log.map((l) => l.split(',')[0])).size).toBe(4);

    // A rating made offline survives closing the page: the next visit sends it.
    await context.setOffline(true);
    const closedWith = await rateByKeyboard(page, '3');
    await expect.poll(() => page.getByTestId('sync-state').textContent()).toMatch(/1 rating waiting to sync/);
    await page.close();
    await context.setOffline(false);
    const again = await context.newPage();
    await again.goto(`${base}/review`);
    await waitForReviewer(again);
    await expect.poll(() => again.getByTestId('sync-state').textContent(), { timeout: 30_000 }).toBe('All ratings saved.');
    const after = await serverLog(context, base);
    expect(after.length).toBe(5);
    expect(after.filter((l) => l.includes(`,${closedWith},`)).length).toBe(1);

    // ? lists the keys; S suspends the current card; the Set aside list can bring it back.
    await again.keyboard.press('?');
    await again.getByRole('dialog', { name: 'Review keys' }).waitFor();
    await again.keyboard.press('Escape');
    const suspended = await currentCard(again);
    await again.keyboard.press('s');
    await expect.poll(() => currentCard(again)).not.toBe(suspended);
    await again.reload();
    await again.getByRole('button', { name: `Un-suspend ${suspended}` }).click();
    await expect.poll(() => again.getByRole('button', { name: `Un-suspend ${suspended}` }).count()).toBe(0);

    // The stats page opens with its charts, each with a text alternative.
    await again.goto(`${base}/review/stats`);
    await again.getByRole('heading', { name: 'Review stats', level: 1 }).waitFor();
    await expect.poll(() => again.locator('svg.recharts-surface').count()).toBeGreaterThanOrEqual(5);
    const summaries = await again.getByTestId('chart-summary').allTextContents();
    expect(summaries.length).toBe(5);
    expect(summaries[0]).toContain('1 day with reviews');
    expect(await again.getByTestId('streak').textContent()).toBe('1 day');
    await again.screenshot({ path: screenshotPath('review-stats-1280'), fullPage: true });
    await context.close();
  });

  it('works on a phone (390 px): no sideways scrolling, buttons within reach, dark mode', async () => {
    const context = await app.browser.newContext({
      viewport: { width: 390, height: 844 },
      colorScheme: 'dark',
      hasTouch: true,
      isMobile: true,
    });
    const base = app.server.url;
    const account = newAccount('phone');
    await context.request.post(`${base}/api/auth/sign-up`, { data: account, headers: { origin: base } });
    await context.request.put(`${base}/api/settings/learning`, { data: { cardIntroduction: 'all' }, headers: { origin: base } });
    const page = await context.newPage();
    await page.goto(`${base}/review`);
    await waitForReviewer(page);
    await page.getByTestId('show-answer').tap();
    await page.getByTestId('review-answer').waitFor();
    for (const r of ['1', '2', '3', '4']) {
      const box = await page.getByTestId(`rate-${r}`).boundingBox();
      expect(box && box.x >= 0 && box.x + box.width <= 390).toBe(true);
    }
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: screenshotPath('review-answer-390-dark') });
    const id = await currentCard(page);
    await page.getByTestId('rate-3').tap();
    await expect.poll(() => currentCard(page)).not.toBe(id);
    await expect.poll(() => page.getByTestId('sync-state').textContent()).toBe('All ratings saved.');

    // The sign-in expires mid-review: the next rating waits in the browser and the page says why —
    // not "offline" — with a way to sign in; after signing in it syncs, once.
    await context.clearCookies();
    const waiting = await currentCard(page);
    await page.getByTestId('show-answer').tap();
    await page.getByTestId('rate-3').tap();
    await expect
      .poll(() => page.getByTestId('sync-state').textContent())
      .toBe('Your sign-in has expired. 1 rating is kept in this browser; sign in again and it syncs. Sign in');
    await page.screenshot({ path: screenshotPath('review-signed-out-390-dark') });
    const signIn = await context.request.post(`${base}/api/auth/sign-in`, {
      data: { email: account.email, password: account.password },
      headers: { origin: base },
    });
    expect(signIn.status()).toBe(200);
    await page.reload();
    await expect.poll(() => page.getByTestId('sync-state').textContent(), { timeout: 30_000 }).toBe('All ratings saved.');
    expect((await serverLog(context, base)).filter((l) => l.includes(`,${waiting},`)).length).toBe(1);

    // A rating the server applied but whose answer was lost on the way back, then undone: the
    // undo goes through the server, and no later retry brings the rating back.
    const before = await serverLog(context, base);
    await page.route(
      '**/api/reviews',
      async (route) => {
        await route.fetch();
        await route.abort('connectionreset');
      },
      { times: 1 },
    );
    const lost = await currentCard(page);
    const rowsOf = (rows: string[]) => rows.filter((l) => l.includes(`,${lost},`)).length;
    await page.getByTestId('show-answer').tap();
    await page.getByTestId('rate-3').tap();
    await expect.poll(() => page.getByTestId('sync-state').textContent()).toMatch(/^Offline — 1 rating waiting to sync/);
    await page.keyboard.press('u');
    await expect.poll(() => currentCard(page)).toBe(lost);
    await expect.poll(() => page.getByTestId('sync-state').textContent(), { timeout: 30_000 }).toBe('All ratings saved.');
    await page.waitForTimeout(2500); // longer than the first retry's back-off
    const log = await serverLog(context, base);
    expect(log.length).toBe(before.length);
    expect(rowsOf(log)).toBe(rowsOf(before));
    await page.goto(`${base}/review/stats`);
    await expect.poll(() => page.locator('svg.recharts-surface').count()).toBeGreaterThanOrEqual(5);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: screenshotPath('review-stats-390-dark'), fullPage: true });
    await context.close();
  });
});

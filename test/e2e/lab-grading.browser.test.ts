import { describe, expect, it } from 'vitest';
import { ensureLabImages } from '@/lib/vm';
import { screenshotPath, useServerAndBrowser } from '../helpers/browser';
import { newAccount } from '../helpers/http';
import { screenText, typeLine } from '../helpers/lab-page';

/** save.sh written through the terminal, one printf line per script line. */
const saveScript = (lines: string[]) => `printf '%s\\n' ${lines.map((l) => `'${l}'`).join(' ')} > ~/save.sh; echo saved-$((40+2))`;

describe('browser: the durability lab, solved in the page’s terminal', () => {
  const app = useServerAndBrowser({ prepare: () => ensureLabImages({ log: () => {} }), timeoutMs: 900_000 });

  it('fails a near-miss with its evidence, then passes; the failed task’s cards are due in review', async () => {
    const context = await app.browser.newContext({ viewport: { width: 1400, height: 1000 } });
    const signUp = await context.request.post(`${app.server.url}/api/auth/sign-up`, {
      data: newAccount('durable'),
      headers: { origin: app.server.url },
    });
    expect(signUp.status()).toBe(201);
    const page = await context.newPage();
    await page.goto(`${app.server.url}/labs/durable-write`);
    await page.getByRole('button', { name: /Start x86_64 VM/ }).click();
    await expect.poll(() => page.getByTestId('lab-status').textContent(), { timeout: 60_000 }).toContain('Ready — x86_64');

    // A near-miss: temp file, fsync, rename — but the directory is never fsynced.
    await typeLine(
      page,
      saveScript(['#!/bin/sh', 'set -e', 'printf "%s\\n" "$1" > /mnt/lab/t', 'fsync /mnt/lab/t', 'mv /mnt/lab/t /mnt/lab/settings.conf']),
    );
    await expect.poll(() => screenText(page), { timeout: 20_000 }).toMatch(/saved-42/);
    await page.getByRole('button', { name: 'Hint (1/4)' }).click();
    await page.getByTestId('task-durable-save').getByRole('button', { name: 'Check', exact: true }).click();
    const result = page.getByTestId('result-durable-save');
    await expect.poll(() => result.textContent(), { timeout: 60_000 }).toContain('Not yet');
    expect(await result.textContent()).toMatch(/still held the old content[\s\S]*directory itself is fsynced/);
    expect(await result.textContent()).toContain('renameat');
    await page.screenshot({ path: screenshotPath('lab-durable-near-miss') });

    // The fix: fsync the directory after the rename.
    await typeLine(
      page,
      saveScript([
        '#!/bin/sh',
        'set -e',
        'printf "%s\\n" "$1" > /mnt/lab/t',
        'fsync /mnt/lab/t',
        'mv /mnt/lab/t /mnt/lab/settings.conf',
        'fsync /mnt/lab',
      ]),
    );
    await expect.poll(() => screenText(page), { timeout: 20_000 }).toMatch(/saved-42[\s\S]*saved-42/);
    await page.getByRole('button', { name: 'Check all' }).click();
    await expect.poll(() => result.textContent(), { timeout: 60_000 }).toContain('Passed');
    await expect.poll(() => page.locator('.lab-attempts summary').textContent(), { timeout: 10_000 }).toMatch(/2 attempts · best 1\/1/);
    await page.screenshot({ path: screenshotPath('lab-durable-passed') });

    await page.goto(`${app.server.url}/review`);
    expect(Number(await page.getByTestId('queue-due').textContent())).toBeGreaterThanOrEqual(5);

    // The Labs page: labs grouped by course part, each with arches, time, tasks, the lessons it
    // practises and this learner's best result — passed here, not started elsewhere.
    await page.goto(`${app.server.url}/labs`);
    const durable = page.locator('[data-testid="lab-item"][data-lab-id="durable-write"]');
    await expect.poll(() => durable.getByTestId('lab-progress').textContent()).toContain('Passed · 2 Checks');
    expect(await durable.textContent()).toMatch(/x86_64 · aarch64 · about \d+ min · 1 task/);
    expect(await durable.getByRole('link').count()).toBeGreaterThan(1); // the lab and the lessons it practises
    const futex = page.locator('[data-testid="lab-item"][data-lab-id="futex-contention"]');
    expect(await futex.getByTestId('lab-progress').textContent()).toContain('Not started');
    const groups = await page.getByTestId('labs-group').locator('h2').allTextContents();
    expect(groups.length).toBeGreaterThanOrEqual(4);
    expect(groups.at(-1)).toBe('Sandbox');
    expect(await page.locator('.notice', { hasText: 'not built yet' }).count()).toBe(0);
    await page.screenshot({ path: screenshotPath('labs-page-1280'), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: screenshotPath('labs-page-390'), fullPage: true });
    await context.close();
  });
});

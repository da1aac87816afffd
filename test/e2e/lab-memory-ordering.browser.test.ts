import { describe, expect, it } from 'vitest';
import { ensureLabImages } from '@/lib/vm';
import { screenshotPath, useServerAndBrowser } from '../helpers/browser';
import { openLabAsNewLearner, screenText, typeLine } from '../helpers/lab-page';

describe('browser: the ARM64 memory-ordering lab, fixed in the page’s terminal on the aarch64 VM', () => {
  const app = useServerAndBrowser({ prepare: () => ensureLabImages({ log: () => {} }), timeoutMs: 900_000 });

  it('shows the aarch64 code that fails, then passes once ring.c uses release/acquire', async () => {
    const { context, page } = await openLabAsNewLearner(app.browser, app.server.url, {
      labId: 'memory-ordering',
      tag: 'mo',
      arch: 'aarch64',
    });

    // As shipped, it builds and runs fine here (QEMU on x86 is strongly ordered)…
    await typeLine(page, './build && ./ring 20000 && echo ran-$((40+2))');
    await expect.poll(() => screenText(page), { timeout: 60_000 }).toMatch(/ring messages=20000 bad=0[\s\S]*ran-42/);
    // …and the Check reads the ARM64 machine code: a plain str publishes head.
    await page.getByRole('button', { name: 'Check all' }).click();
    const publish = page.getByTestId('result-publish');
    await expect.poll(() => publish.textContent(), { timeout: 60_000 }).toContain('Not yet');
    expect(await publish.textContent()).toMatch(/store to head is a plain str/);
    expect(await publish.textContent()).toContain('← store of head');
    expect(await page.getByTestId('result-consume').textContent()).toContain('Not yet');
    // Hints one at a time; their commands render as code, not as backticks.
    const task = page.getByTestId('task-publish');
    for (const n of [1, 2, 3]) await task.getByRole('button', { name: `${n === 1 ? 'Hint' : 'Next hint'} (${n}/3)` }).click();
    expect(await task.locator('.lab-hints li').count()).toBe(3);
    expect(await task.locator('.lab-hints li').nth(2).locator('code').first().textContent()).toContain('__atomic_store_n');
    expect(await task.locator('.lab-hints').textContent()).not.toContain('`');
    // Not fullPage: that resizes the viewport, and a terminal resize (SIGWINCH) while the next
    // line is typed can cost busybox's line editor the start of that line.
    await publish.scrollIntoViewIfNeeded();
    await page.screenshot({ path: screenshotPath('lab-memory-ordering-fail-1280') });

    // The fix, typed as a learner would: a store-release of head and tail, a load-acquire of head
    // in ring_pop (each line found by its comment).
    await typeLine(
      page,
      String.raw`sed -i '/then publish it/s/head = h + 1;/__atomic_store_n(\&head, h + 1, __ATOMIC_RELEASE);/; /how many are published/s/= head;/= __atomic_load_n(\&head, __ATOMIC_ACQUIRE);/; /hand its slot back/s/tail = t + 1;/__atomic_store_n(\&tail, t + 1, __ATOMIC_RELEASE);/' ~/ring.c && grep -c __atomic_ ~/ring.c`,
    );
    await expect.poll(() => screenText(page), { timeout: 20_000 }).toMatch(/^3\s*$/m);
    await typeLine(page, './build && ./ring 20000 && echo fixed-$((40+2))');
    await expect.poll(() => screenText(page), { timeout: 60_000 }).toMatch(/fixed-42/);
    await page.getByRole('button', { name: 'Check all' }).click();
    await expect.poll(() => publish.textContent(), { timeout: 60_000 }).toContain('Passed');
    await expect.poll(() => page.getByTestId('result-consume').textContent(), { timeout: 60_000 }).toContain('Passed');
    expect(await publish.textContent()).toMatch(/stlr/);
    expect(await page.getByTestId('result-consume').textContent()).toMatch(/ldar/);

    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByTestId('task-consume').scrollIntoViewIfNeeded();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: screenshotPath('lab-memory-ordering-pass-390'), fullPage: true });
    await context.close();
  }, 180_000);
});

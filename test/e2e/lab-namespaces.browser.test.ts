import { describe, expect, it } from 'vitest';
import { ensureLabImages } from '@/lib/vm';
import { screenshotPath, useServerAndBrowser } from '../helpers/browser';
import { openLabAsNewLearner, screenText, typeLine } from '../helpers/lab-page';

const TASKS = ['pid', 'mount', 'uts'] as const;

describe('browser: the namespaces lab, completed through the page’s terminal', () => {
  const app = useServerAndBrowser({ prepare: () => ensureLabImages({ log: () => {} }), timeoutMs: 900_000 });

  it('fails every task before, then builds the sandbox with unshare in the terminal and passes all three', async () => {
    const { context, page } = await openLabAsNewLearner(app.browser, app.server.url, { labId: 'namespaces', tag: 'nslab' });

    // Nothing built yet: every task fails, and says why.
    await page.getByRole('button', { name: 'Check all' }).click();
    for (const t of TASKS) await expect.poll(() => page.getByTestId(`result-${t}`).textContent(), { timeout: 60_000 }).toContain('Not yet');
    expect(await page.getByTestId('result-pid').textContent()).toContain('No process is running /opt/labs/namespaces/sandboxd');

    // What a learner types: read the ticket, then build the namespaces around sandboxd.
    await typeLine(page, 'cat /run/lab/ticket');
    await expect.poll(() => screenText(page), { timeout: 20_000 }).toMatch(/hostname: box-/);
    await typeLine(page, `H=$(awk '/^uts:/ {print $NF}' /run/lab/ticket); M=$(awk '/^mount:/ {print $11}' /run/lab/ticket)`);
    await typeLine(page, 'unshare -U -r -p -f -m -u --mount-proc sh -c "hostname $H && mount -t tmpfs none $M && exec sandboxd" &');
    await expect.poll(() => screenText(page), { timeout: 30_000 }).toMatch(/I am pid 1 here, my hostname is box-\w+-\d+/);
    const hostname = /my hostname is (box-\w+-\d+)/.exec(await screenText(page))?.[1] ?? '';

    await page.getByRole('button', { name: 'Check all' }).click();
    for (const t of TASKS) await expect.poll(() => page.getByTestId(`result-${t}`).textContent(), { timeout: 60_000 }).toContain('Passed');
    expect(await page.getByTestId('result-uts').textContent()).toContain(hostname);
    expect(await page.getByTestId('result-pid').textContent()).toMatch(/pid 1 in its own PID namespace/);
    await page.screenshot({ path: screenshotPath('lab-namespaces-1280'), fullPage: true });

    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByTestId('task-uts').scrollIntoViewIfNeeded();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: screenshotPath('lab-namespaces-390'), fullPage: true });
    await context.close();
  });
});

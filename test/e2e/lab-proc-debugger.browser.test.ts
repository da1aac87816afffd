import { describe, expect, it } from 'vitest';
import { ensureLabImages } from '@/lib/vm';
import { screenshotPath, useServerAndBrowser } from '../helpers/browser';
import { openLabAsNewLearner, screenText, typeLine } from '../helpers/lab-page';

const KIND_BY_WCHAN: Record<string, string> = { pipe_read: 'pipe', locks_lock_inode_wait: 'flock', do_wait: 'child' };

describe('browser: /proc as a debugger, in the page’s terminal', () => {
  const app = useServerAndBrowser({ prepare: () => ensureLabImages({ log: () => {} }), timeoutMs: 900_000 });

  it('reads reportd’s wchan in the terminal; a wrong answer fails with the grader’s evidence, the right one passes', async () => {
    const { context, page } = await openLabAsNewLearner(app.browser, app.server.url, { labId: 'proc-debugger', tag: 'procdbg' });

    // What a learner types: where does reportd sleep?
    await typeLine(page, 'echo "W=$(cat /proc/$(pidof reportd)/wchan)="');
    await expect.poll(() => screenText(page), { timeout: 20_000 }).toMatch(/W=\w+=/);
    const wchan = /W=(\w+)=/.exec(await screenText(page))?.[1] ?? '';
    const kind = KIND_BY_WCHAN[wchan];
    expect(kind, `wchan ${wchan}`).toBeDefined();

    const task = page.getByTestId('task-blocked-on');
    const result = page.getByTestId('result-blocked-on');
    const wrong = ['pipe', 'flock', 'child'].find((k) => k !== kind) as string;
    await task.getByLabel('reportd waits for').selectOption(wrong);
    await task.getByRole('button', { name: 'Hint (1/3)' }).click();
    await task.getByRole('button', { name: 'Check', exact: true }).click();
    await expect.poll(() => result.textContent(), { timeout: 60_000 }).toContain('Not yet');
    expect(await result.textContent()).toContain(`wchan ${wchan}`);

    await task.getByLabel('reportd waits for').selectOption(kind as string);
    await task.getByRole('button', { name: 'Check', exact: true }).click();
    await expect.poll(() => result.textContent(), { timeout: 60_000 }).toContain('Passed');
    await page.screenshot({ path: screenshotPath('lab-proc-debugger-1280'), fullPage: true });

    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByTestId('task-blocked-on').scrollIntoViewIfNeeded();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: screenshotPath('lab-proc-debugger-390'), fullPage: true });
    await context.close();
  });
});

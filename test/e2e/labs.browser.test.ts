import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { ensureLabImages } from '@/lib/vm';
import { brightPixels, screenshotPath, useServerAndBrowser } from '../helpers/browser';
import { newAccount } from '../helpers/http';
import { screenText, typeLine } from '../helpers/lab-page';

/**
 * Screenshots the terminal row whose text is exactly `text` and counts its light pixels (the
 * terminal is dark): how much ink a reader sees on that row.
 */
async function inkOnRow(page: Page, text: string, browser: Parameters<typeof brightPixels>[0]): Promise<number> {
  const row = page
    .locator('.xterm-rows > div')
    .filter({ hasText: new RegExp(`^${text}\\s*$`) })
    .last();
  const box = await row.boundingBox();
  if (!box) throw new Error(`no terminal row reads ${text}`);
  return brightPixels(browser, await page.screenshot({ clip: box }));
}

describe('browser: a lab VM on each architecture, in the page’s terminal', () => {
  const app = useServerAndBrowser({ prepare: () => ensureLabImages({ log: () => {} }), timeoutMs: 900_000 });

  it('opens x86_64, runs a command, survives a reload on the same VM, switches to ARM64, and stops', async () => {
    const context = await app.browser.newContext({ viewport: { width: 1280, height: 900 } });
    const signUp = await context.request.post(`${app.server.url}/api/auth/sign-up`, {
      data: newAccount('lab'),
      headers: { origin: app.server.url },
    });
    expect(signUp.status()).toBe(201);
    const page = await context.newPage();
    // Issue 8: the pages run under a nonce CSP; hydration (the buttons below work) and the
    // terminal's WebSocket must not trip it.
    const violations: string[] = [];
    page.on('console', (m) => {
      if (/Content[- ]Security[- ]Policy|Refused to (execute|load|connect|apply)/i.test(m.text())) violations.push(m.text());
    });
    page.on('pageerror', (e) => violations.push(`page error: ${e.message}`));
    const first = await page.goto(`${app.server.url}/labs`);
    expect(first?.headers()['content-security-policy']).toMatch(/'nonce-/);
    await page.getByRole('link', { name: /Hello from the guest/ }).click();
    await page.getByRole('button', { name: /Start x86_64 VM/ }).click();
    await expect.poll(() => page.getByTestId('lab-status').textContent(), { timeout: 60_000 }).toContain('Ready — x86_64');

    await typeLine(page, 'echo $((40+2)) > /tmp/answer; uname -m');
    await expect.poll(() => screenText(page), { timeout: 20_000 }).toMatch(/^x86_64\s*$/m);
    await page.screenshot({ path: screenshotPath('lab-x86_64') });

    // Underscores are drawn at 1× (they used to be clipped by a cell too short for the fallback
    // font): a row of 20 underscores (typed as octal escapes, so the command line has none) shows
    // ink along the row.
    expect(await page.evaluate(() => window.devicePixelRatio)).toBe(1);
    await typeLine(page, "printf '\\137%.0s' 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; echo");
    await expect.poll(() => screenText(page), { timeout: 20_000 }).toMatch(/^_{20}\s*$/m);
    // Each underscore is a line about a cell (~8 px) wide: 20 of them leave well over 80 light pixels.
    const ink = await inkOnRow(page, '_{20}', app.browser);
    expect(ink, 'light pixels on the row of 20 underscores').toBeGreaterThan(80);
    await page.locator('.terminal-host').screenshot({ path: screenshotPath('lab-underscores-1x') });

    // Reload: the page finds the same running VM (the file written before is still there).
    await page.reload();
    await expect.poll(() => page.getByTestId('lab-status').textContent(), { timeout: 30_000 }).toContain('Ready — x86_64');
    await typeLine(page, 'cat /tmp/answer');
    await expect.poll(() => screenText(page), { timeout: 20_000 }).toMatch(/^42\s*$/m);

    // Switching the architecture while a VM runs asks first; saying no keeps the VM and its shell.
    let asked = '';
    page.once('dialog', (d) => {
      asked = d.message();
      void d.dismiss();
    });
    await page.getByLabel('ARM64 (aarch64)').click();
    await expect.poll(() => asked).toMatch(/Switch to ARM64 .*x86_64 VM.*lost/);
    expect(await page.getByLabel('x86_64').isChecked()).toBe(true);
    expect(await page.getByTestId('lab-status').textContent()).toContain('Ready — x86_64');

    // Saying yes replaces the VM with a fresh ARM64 one.
    page.once('dialog', (d) => void d.accept());
    await page.getByLabel('ARM64 (aarch64)').click();
    await expect.poll(() => page.getByTestId('lab-status').textContent(), { timeout: 60_000 }).toContain('Ready — ARM64');
    await typeLine(page, 'uname -m; ls /tmp/answer');
    await expect.poll(() => screenText(page), { timeout: 20_000 }).toMatch(/^aarch64\s*$[\s\S]*No such file/m);
    await page.screenshot({ path: screenshotPath('lab-aarch64') });

    await page.getByRole('button', { name: 'Stop' }).click();
    await expect.poll(() => page.getByTestId('lab-status').textContent(), { timeout: 20_000 }).toContain('Ended');
    const list = await context.request.get(`${app.server.url}/api/labs/sessions`);
    const { sessions } = (await list.json()) as { sessions: { state: string }[] };
    expect(sessions.every((s) => s.state === 'ended')).toBe(true);
    expect(violations).toEqual([]);
    await context.close();
  });
});

import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { ensureLabImages } from '@/lib/vm';
import { screenshotPath, useServerAndBrowser } from '../helpers/browser';
import { newAccount } from '../helpers/http';

/** The terminal's visible text (xterm renders rows into the DOM). */
async function screenText(page: Page): Promise<string> {
  return (await page.locator('.xterm-rows > div').allTextContents()).join('\n');
}

async function typeLine(page: Page, line: string) {
  await page.locator('.xterm-helper-textarea').focus();
  await page.keyboard.type(line);
  await page.keyboard.press('Enter');
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

    // Reload: the page finds the same running VM (the file written before is still there).
    await page.reload();
    await expect.poll(() => page.getByTestId('lab-status').textContent(), { timeout: 30_000 }).toContain('Ready — x86_64');
    await typeLine(page, 'cat /tmp/answer');
    await expect.poll(() => screenText(page), { timeout: 20_000 }).toMatch(/^42\s*$/m);

    // Switching the architecture replaces the VM with a fresh ARM64 one.
    await page.getByLabel('ARM64 (aarch64)').check();
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

import type { Browser, BrowserContext, Page } from 'playwright-core';
import { expect } from 'vitest';
import { newAccount } from './http';

/** The lab terminal's visible text (xterm renders its rows into the DOM). */
export async function screenText(page: Page): Promise<string> {
  return (await page.locator('.xterm-rows > div').allTextContents()).join('\n');
}

/** Types a line into the lab terminal and presses Enter, as a learner would. */
export async function typeLine(page: Page, line: string): Promise<void> {
  await page.locator('.xterm-helper-textarea').focus();
  await page.keyboard.type(line);
  await page.keyboard.press('Enter');
}

/**
 * A new learner (signed up in a fresh browser context of `viewport`) on a lab's page, with its VM
 * started on `arch` and the terminal ready.
 */
export async function openLabAsNewLearner(
  browser: Browser,
  url: string,
  opts: { labId: string; tag: string; arch?: 'x86_64' | 'aarch64'; viewport?: { width: number; height: number } },
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: opts.viewport ?? { width: 1280, height: 1000 } });
  const signUp = await context.request.post(`${url}/api/auth/sign-up`, { data: newAccount(opts.tag), headers: { origin: url } });
  expect(signUp.status()).toBe(201);
  const page = await context.newPage();
  await page.goto(`${url}/labs/${opts.labId}`);
  if (opts.arch === 'aarch64') await page.getByLabel('ARM64 (aarch64)').click();
  const label = opts.arch === 'aarch64' ? 'ARM64 (aarch64)' : 'x86_64';
  await page.getByRole('button', { name: `Start ${label} VM` }).click();
  await expect
    .poll(() => page.getByTestId('lab-status').textContent(), { timeout: 60_000 })
    .toContain(`Ready — ${opts.arch === 'aarch64' ? 'ARM64' : 'x86_64'}`);
  return { context, page };
}

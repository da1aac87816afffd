import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { useServerAndBrowser } from '../helpers/browser';
import { newAccount } from '../helpers/http';

const axeSource = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** Runs axe-core (WCAG 2.1 A/AA rules) in the page; returns serious and critical violations. */
async function seriousViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: axeSource });
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: Document, opts: object) => Promise<{ violations: AxeViolation[] }> } }).axe;
    const r = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return r.violations;
  });
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

describe('accessibility: every page passes axe-core’s WCAG 2.1 AA rules, light and dark', () => {
  const app = useServerAndBrowser();

  for (const colorScheme of ['light', 'dark'] as const) {
    it(`has no serious violations (${colorScheme})`, async () => {
      const context = await app.browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme });
      const page = await context.newPage();
      const problems: string[] = [];
      for (const path of ['/', '/sign-in', '/sign-up']) {
        await page.goto(`${app.server.url}${path}`);
        await page.locator('main h1').first().waitFor();
        for (const p of await seriousViolations(page)) problems.push(`${path}: ${p}`);
      }
      const signUp = await context.request.post(`${app.server.url}/api/auth/sign-up`, {
        data: newAccount(`a11y-${colorScheme}`),
        headers: { origin: app.server.url },
      });
      expect(signUp.status()).toBe(201);
      // Every card in the queue, so the Review page shows a card (not its empty end screen).
      const all = await context.request.put(`${app.server.url}/api/settings/learning`, {
        data: { cardIntroduction: 'all' },
        headers: { origin: app.server.url },
      });
      expect(all.status()).toBe(200);
      for (const path of [
        '/today',
        '/learn',
        '/learn/syscall-boundary',
        '/review',
        '/review/stats',
        '/quizzes',
        '/quizzes/slow-app',
        '/labs',
        '/labs/hello',
      ]) {
        await page.goto(`${app.server.url}${path}`);
        await page.locator('main h1').first().waitFor();
        for (const p of await seriousViolations(page)) problems.push(`${path}: ${p}`);
      }
      expect(problems, problems.join('\n')).toEqual([]);
      await context.close();
    }, 240_000); // ten pages, two of them charts and a full review queue, on a shared 2-core machine
  }
});

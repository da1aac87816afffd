import type { BrowserContext, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { loadCourse } from '@/lib/content';
import { screenshotPath, useServerAndBrowser } from '../helpers/browser';

const PHONE = { width: 390, height: 844 };

/** How far the page is wider than the viewport (0 when nothing scrolls sideways). */
async function overflowPx(page: Page): Promise<number> {
  return page.evaluate(() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth) - window.innerWidth);
}

/** Elements whose right edge is past the viewport and that are not inside a box that scrolls. */
async function cutOff(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    const scrollsInside = (el: Element): boolean => {
      for (let p = el.parentElement; p; p = p.parentElement) {
        const o = getComputedStyle(p).overflowX;
        if ((o === 'auto' || o === 'scroll') && p.scrollWidth > p.clientWidth) return true;
      }
      return false;
    };
    for (const el of document.querySelectorAll('main h1, main h2, main p, main button, main a, nav a, main pre, main li')) {
      const r = el.getBoundingClientRect();
      if (r.width === 0) continue;
      if ((r.right > window.innerWidth + 1 || r.left < -1) && !scrollsInside(el))
        out.push(
          `${el.tagName.toLowerCase()} "${(el.textContent ?? '').trim().slice(0, 40)}" spans ${Math.round(r.left)}–${Math.round(r.right)} px`,
        );
    }
    return out;
  });
}

async function signIn(context: BrowserContext, url: string, email: string, password: string) {
  const res = await context.request.post(`${url}/api/auth/sign-in`, { data: { email, password }, headers: { origin: url } });
  expect(res.status()).toBe(200);
}

describe('phones: at 390 px no page is wider than the screen, and nothing is out of reach', () => {
  const app = useServerAndBrowser();
  const course = loadCourse();

  it('fits every page in the shell, signed out and as the demo instructor (who sees every nav item)', async () => {
    const context = await app.browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true });
    const page = await context.newPage();
    const problems: string[] = [];
    const check = async (path: string, shot?: string) => {
      await page.goto(`${app.server.url}${path}`);
      await page.locator('main h1').first().waitFor();
      const over = await overflowPx(page);
      if (over > 0) problems.push(`${path}: ${over} px wider than the screen`);
      for (const c of await cutOff(page)) problems.push(`${path}: ${c}`);
      if (shot) await page.screenshot({ path: screenshotPath(shot), fullPage: true });
    };

    for (const path of ['/', '/sign-in', '/sign-up']) await check(path, path === '/' ? 'phone-landing' : undefined);

    await signIn(context, app.server.url, 'instructor@kernelmap.test', 'kernelmap-instructor');
    await check('/today', 'phone-today');
    // Every destination in the nav is on screen.
    const nav = page.getByRole('navigation', { name: 'Main' });
    for (const label of ['Today', 'Learn', 'Review', 'Quizzes', 'Labs', 'Instructor']) {
      const box = await nav.getByRole('link', { name: label }).boundingBox();
      expect(box, `${label} in the nav`).not.toBeNull();
      if (box) expect(box.x + box.width, `${label} ends inside the screen`).toBeLessThanOrEqual(PHONE.width);
    }
    await check('/learn');
    for (const lesson of course.lessons) await check(`/learn/${lesson.id}`, lesson.id === 'syscall-boundary' ? 'phone-lesson' : undefined);
    await check('/review');
    await check('/quizzes');
    for (const quiz of course.quizzes) {
      await page.goto(`${app.server.url}/quizzes/${quiz.id}`);
      await page
        .getByRole('button', { name: /Start the quiz|Walk it again/ })
        .first()
        .waitFor();
      const start = page.getByRole('button', { name: 'Start the quiz' });
      if (await start.count()) await start.click();
      await page.locator('.quiz-choices').waitFor();
      await check(`/quizzes/${quiz.id}`, quiz.id === course.quizzes[0]?.id ? 'phone-quiz' : undefined);
      // The question's choices can be reached: the first one's left edge is on screen.
      const first = await page.locator('.quiz-choice').first().boundingBox();
      expect(first && first.x >= 0 && first.x + first.width <= PHONE.width, `${quiz.id}: first choice on screen`).toBe(true);
    }
    await check('/labs');
    await check('/labs/hello');
    await check('/instructor', 'phone-instructor');
    expect(problems, problems.join('\n')).toEqual([]);
    await context.close();
  }, 600_000);

  it('keeps the quiz evidence inside its card on a desktop screen', async () => {
    const context = await app.browser.newContext({ viewport: { width: 1280, height: 800 } });
    await signIn(context, app.server.url, 'student@kernelmap.test', 'kernelmap-student');
    const page = await context.newPage();
    const quiz = course.quizzes.find((q) => q.nodes.find((n) => n.id === q.start)?.evidence);
    if (!quiz) throw new Error('no quiz opens with evidence');
    await page.goto(`${app.server.url}/quizzes/${quiz.id}`);
    const start = page.getByRole('button', { name: 'Start the quiz' });
    if (await start.count()) await start.click();
    const evidence = await page.locator('.quiz-evidence').boundingBox();
    const card = await page.locator('.quiz-card').boundingBox();
    if (!evidence || !card) throw new Error('no evidence box or card');
    expect(evidence.x + evidence.width).toBeLessThanOrEqual(card.x + card.width);
    await page.screenshot({ path: screenshotPath('desktop-quiz'), fullPage: true });
    await context.close();
  });
});

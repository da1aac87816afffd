import type { BrowserContext, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { loadCourse } from '@/lib/content';
import { createDb } from '@/lib/db';
import { screenshotPath, useServerAndBrowser } from '../helpers/browser';
import { newAccount } from '../helpers/http';

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
    // Cohort pages, with a cohort that has a member and graded items.
    const created = await context.request.post(`${app.server.url}/api/instructor/cohorts`, {
      data: {
        cohort: {
          name: 'A cohort with a rather long name, to see how it wraps on a phone',
          startsAt: '2026-01-01T00:00:00Z',
          endsAt: '2030-01-01T00:00:00Z',
          latePenaltyPerDay: 10,
          latePenaltyMax: 50,
          items: [
            { kind: 'lab', itemId: 'durable-write', points: 30, dueAt: '2029-01-01T00:00:00Z' },
            { kind: 'quiz', itemId: course.quizzes[0]?.id ?? '', points: 20, dueAt: '2029-01-01T00:00:00Z' },
          ],
        },
      },
      headers: { origin: app.server.url },
    });
    expect(created.status()).toBe(201);
    const cohort = ((await created.json()) as { cohort: { id: string; joinCode: string } }).cohort;
    const member = await app.browser.newContext();
    const joiner = newAccount('phone-member');
    await member.request.post(`${app.server.url}/api/auth/sign-up`, { data: joiner, headers: { origin: app.server.url } });
    expect(
      (
        await member.request.post(`${app.server.url}/api/cohorts/join`, {
          data: { code: cohort.joinCode },
          headers: { origin: app.server.url },
        })
      ).status(),
    ).toBe(200);
    const me = (await (await member.request.get(`${app.server.url}/api/me`)).json()) as { user: { id: string } };
    await member.close();
    await check('/instructor/cohorts/new', 'phone-cohort-new');
    await check(`/instructor/cohorts/${cohort.id}`, 'phone-cohort-dashboard');
    await check(`/instructor/cohorts/${cohort.id}/manage`, 'phone-cohort-manage');
    await check(`/instructor/cohorts/${cohort.id}/learners/${me.user.id}`, 'phone-cohort-learner');
    await check(`/join?code=${cohort.joinCode}`, 'phone-join');
    expect(problems, problems.join('\n')).toEqual([]);
    await context.close();
  }, 600_000);

  it('fits every nav item of an admin (Instructor and Admin too) at 1280 px and at 390 px', async () => {
    const account = newAccount('admin');
    const setup = await app.browser.newContext();
    expect(
      (await setup.request.post(`${app.server.url}/api/auth/sign-up`, { data: account, headers: { origin: app.server.url } })).status(),
    ).toBe(201);
    await setup.close();
    const db = createDb(app.server.env.DATABASE_URL ?? '');
    try {
      await db.user.update({ where: { email: account.email }, data: { role: 'admin', name: 'Grace Hopper-Administrator' } });
    } finally {
      await db.$disconnect();
    }
    for (const [viewport, shot] of [
      [{ width: 1280, height: 800 }, 'nav-admin-1280'],
      [PHONE, 'nav-admin-390'],
    ] as const) {
      const context = await app.browser.newContext({ viewport });
      await signIn(context, app.server.url, account.email, account.password);
      const page = await context.newPage();
      await page.goto(`${app.server.url}/admin`);
      await page.locator('main h1').first().waitFor();
      const nav = page.getByRole('navigation', { name: 'Main' });
      const navBox = await nav.boundingBox();
      if (!navBox) throw new Error('no nav');
      for (const label of ['Today', 'Learn', 'Review', 'Quizzes', 'Labs', 'Instructor', 'Admin']) {
        const box = await nav.getByRole('link', { name: label }).boundingBox();
        expect(box, `${label} in the nav`).not.toBeNull();
        // Inside the screen and inside the nav's own box (the nav scrolls sideways: a hidden item is out of reach).
        if (box) {
          expect(box.x + box.width, `${label} ends inside the screen at ${viewport.width} px`).toBeLessThanOrEqual(viewport.width);
          expect(box.x + box.width, `${label} ends inside the nav at ${viewport.width} px`).toBeLessThanOrEqual(
            navBox.x + navBox.width + 1,
          );
          expect(box.x, `${label} starts inside the nav at ${viewport.width} px`).toBeGreaterThanOrEqual(navBox.x - 1);
        }
      }
      expect(await overflowPx(page)).toBe(0);
      await page.screenshot({ path: screenshotPath(shot) });
      await context.close();
    }
  });

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

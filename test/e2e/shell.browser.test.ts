import { describe, expect, it } from 'vitest';
import { screenshotPath, useServerAndBrowser, waitForShortcuts } from '../helpers/browser';
import { newAccount } from '../helpers/http';

describe('browser: sign up, sign in, the shell, sign out', () => {
  const app = useServerAndBrowser();

  it('walks a new learner through the whole account journey with the keyboard', async () => {
    const page = await app.browser.newPage({ viewport: { width: 1280, height: 800 } });
    const account = newAccount('browser');

    await page.goto(`${app.server.url}/today`);
    await expect.poll(() => new URL(page.url()).pathname).toBe('/sign-in');
    await page.getByRole('link', { name: 'Create an account' }).click();
    await page.getByRole('heading', { name: 'Create your account' }).waitFor();

    // Bad input first: the server's field errors appear next to their inputs.
    await page.getByLabel('Name').fill(account.name);
    await page.getByLabel('Email').fill('nope');
    await page.getByLabel('Password').fill('short');
    await page.getByRole('button', { name: 'Create account' }).click();
    await expect.poll(() => page.getByText('Enter a valid email address').isVisible()).toBe(true);
    await expect.poll(() => page.getByText('Use at least 10 characters').isVisible()).toBe(true);

    await page.getByLabel('Email').fill(account.email);
    await page.getByLabel('Password').fill(account.password);
    await page.getByLabel('Password').press('Enter');
    await page.getByRole('heading', { name: 'Today' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/today');
    await expect.poll(() => page.getByTestId('user-name').textContent()).toBe(account.name);
    const nav = page.getByRole('navigation', { name: 'Main' });
    for (const label of ['Today', 'Learn', 'Review', 'Quizzes', 'Labs']) {
      expect(await nav.getByRole('link', { name: label }).isVisible()).toBe(true);
    }
    expect(await nav.getByRole('link', { name: 'Instructor' }).count()).toBe(0);
    expect(await nav.getByRole('link', { name: 'Today' }).getAttribute('aria-current')).toBe('page');
    await page.screenshot({ path: screenshotPath('shell-today-light'), fullPage: true });

    // Keyboard navigation: "g l" goes to Learn.
    await waitForShortcuts(page);
    await page.keyboard.press('g');
    await page.keyboard.press('l');
    await page.getByRole('heading', { name: 'Learn' }).waitFor();

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.goto(`${app.server.url}/today`);
    await expect.poll(() => new URL(page.url()).pathname).toBe('/sign-in');

    // Sign back in, landing where we were going.
    await page.getByLabel('Email').fill(account.email);
    await page.getByLabel('Password').fill(account.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Today' }).waitFor();
    await page.close();
  });

  it('shows the instructor area to the demo instructor, and works on a phone in dark mode', async () => {
    const context = await app.browser.newContext({ viewport: { width: 390, height: 844 }, colorScheme: 'dark', isMobile: true });
    const page = await context.newPage();
    await page.goto(`${app.server.url}/sign-in`);
    await page.getByLabel('Email').fill('instructor@kernelmap.test');
    await page.getByLabel('Password').fill('kernelmap-instructor');
    await page.getByRole('button', { name: 'Sign in' }).click();
    // An instructor lands in the instructor area.
    await page.getByRole('heading', { name: 'Instructor' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/instructor');
    expect(await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Instructor' }).isVisible()).toBe(true);
    expect(await page.getByText('student@kernelmap.test').isVisible()).toBe(true);
    await page.screenshot({ path: screenshotPath('shell-instructor-phone-dark'), fullPage: true });
    await context.close();
  });
});

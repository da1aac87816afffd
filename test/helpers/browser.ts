import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { startServer, type TestServer } from './server';

/** Debian's chromium, headless, with the flags this closed network needs (no background fetches). */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Where tests leave screenshots for people to look at (gitignored). */
export function screenshotPath(name: string): string {
  const dir = path.resolve(import.meta.dirname, '..', '..', 'test-results');
  mkdirSync(dir, { recursive: true });
  return path.join(dir, `${name}.png`);
}

/**
 * Registers the hooks every browser test needs: a real server on a fresh database (after
 * `prepare`, e.g. building lab images) and Debian's chromium; both are torn down afterwards.
 * Read `server` and `browser` inside tests, once the hooks have run.
 */
export function useServerAndBrowser(opts: { prepare?: () => Promise<unknown>; timeoutMs?: number } = {}): {
  readonly server: TestServer;
  readonly browser: Browser;
} {
  let server: TestServer | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    await opts.prepare?.();
    server = await startServer();
    browser = await launchBrowser();
  }, opts.timeoutMs);
  afterAll(async () => {
    await browser?.close();
    await server?.cleanup();
  });
  return {
    get server() {
      if (!server) throw new Error('the server is not started yet (use it inside a test)');
      return server;
    },
    get browser() {
      if (!browser) throw new Error('the browser is not launched yet (use it inside a test)');
      return browser;
    },
  };
}

/**
 * Counts the pixels of a PNG (e.g. a clipped screenshot) whose brightest channel is above
 * `threshold` (0–255), by decoding it in a blank page's canvas: what a reader would see as ink
 * on a dark background.
 */
export async function brightPixels(browser: Browser, png: Buffer, threshold = 128): Promise<number> {
  const page = await browser.newPage();
  try {
    return await page.evaluate(
      async ({ b64, threshold }) => {
        const img = new Image();
        img.src = `data:image/png;base64,${b64}`;
        await img.decode();
        const canvas = document.createElement('canvas');
        canvas.width = img.width;
        canvas.height = img.height;
        const ctx = canvas.getContext('2d');
        if (!ctx) throw new Error('no 2d context');
        ctx.drawImage(img, 0, 0);
        const { data } = ctx.getImageData(0, 0, img.width, img.height);
        let n = 0;
        for (let i = 0; i < data.length; i += 4) if (Math.max(data[i] ?? 0, data[i + 1] ?? 0, data[i + 2] ?? 0) > threshold) n++;
        return n;
      },
      { b64: png.toString('base64'), threshold },
    );
  } finally {
    await page.close();
  }
}

/**
 * Waits until the reviewer's keys and buttons work: the card is server-rendered and visible a
 * moment before the client code that listens for Space and 1–4 has run (a key pressed in that
 * moment does nothing, for a person as for a test).
 */
export async function waitForReviewer(page: Page): Promise<void> {
  await page.locator('[data-testid="review-card"][data-keys="ready"]').waitFor();
}

/** Waits until the shell's keyboard shortcuts (g l, g r, ?) work: its client code marks <html> when they do. */
export async function waitForShortcuts(page: Page): Promise<void> {
  await page.locator('html[data-shortcuts="ready"]').waitFor({ state: 'attached' });
}

import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { type Browser, chromium } from 'playwright-core';
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

import path from 'node:path';
import { defineConfig } from 'vitest/config';

// Unit tests are pure and fast; integration tests start the real server (test/helpers/server.ts);
// browser tests drive Debian's chromium through playwright-core. All run under `npm test`.
export default defineConfig({
  resolve: {
    alias: {
      '@': path.resolve(import.meta.dirname),
      // 'server-only' throws outside React's server build; under vitest it is a no-op.
      'server-only': path.resolve(import.meta.dirname, 'test/helpers/server-only.ts'),
    },
  },
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 180_000,
    fileParallelism: false,
  },
});

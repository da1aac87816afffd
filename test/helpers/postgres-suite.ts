import { describe, it } from 'vitest';
import { postgresReachable } from './server';

/**
 * Registers `suite` against PostgreSQL when TEST_POSTGRES_URL's server answers. Under CI=true an
 * unreachable server is a failing test, not a skip: the PostgreSQL suites must run in CI.
 *
 * @example
 *   await onPostgres(() => authSuite('postgresql'));   // at the top level of a *.test.ts
 */
export async function onPostgres(suite: () => void): Promise<void> {
  if (await postgresReachable()) {
    suite();
  } else if (process.env.CI === 'true') {
    describe('PostgreSQL', () => {
      it('is reachable at TEST_POSTGRES_URL (required when CI=true)', () => {
        throw new Error(
          `PostgreSQL is not reachable at ${process.env.TEST_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres'}`,
        );
      });
    });
  } else {
    describe.skip('PostgreSQL suite (server not reachable; set CI=true to make this a failure)', () => {
      it('skipped', () => {});
    });
  }
}

import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EnvError, loadEnv } from '@/lib/env';

const secret = 's'.repeat(40);

describe('configuration (lib/env)', () => {
  it('defaults to the embedded SQLite file under the data folder', () => {
    const e = loadEnv({ AUTH_SECRET: secret });
    expect(e.dbProvider).toBe('sqlite');
    expect(e.sqlitePath).toBe(path.resolve('data', 'kernel-map.db'));
    expect(e.DATABASE_URL).toBe(`file:${path.resolve('data', 'kernel-map.db')}`);
    expect(e.PORT).toBe(3000);
  });

  it('selects PostgreSQL by the URL scheme', () => {
    const e = loadEnv({ AUTH_SECRET: secret, DATABASE_URL: 'postgresql://u@db.example:5432/km' });
    expect(e.dbProvider).toBe('postgresql');
    expect(e.sqlitePath).toBeNull();
  });

  it('names a missing secret and each malformed setting', () => {
    let err: unknown;
    try {
      loadEnv({ DATABASE_URL: 'mysql://x', PORT: 'eighty' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(EnvError);
    const msg = (err as EnvError).message;
    expect(msg).toContain('AUTH_SECRET is required but not set');
    expect(msg).toContain('DATABASE_URL: must start with file:');
    expect(msg).toContain('PORT');
  });

  it('rejects a trusted origin that is not a URL', () => {
    expect(() => loadEnv({ AUTH_SECRET: secret, TRUSTED_ORIGINS: 'https://ok.example, not a url' })).toThrow(/TRUSTED_ORIGINS/);
  });
});

import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { runLearners, seedHistory, signUpLearners } from '../../scripts/review-load';
import { startServer, type TestServer } from '../helpers/server';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('reviews survive SIGKILL: 50 learners rating while the server is killed and restarted', () => {
  let server: TestServer | undefined;
  afterAll(async () => {
    await server?.cleanup();
  });

  it('keeps every acknowledged rating exactly once, doubles none on retry, and the database checks clean', async () => {
    // 50 simulated learners sign up from one address: lift the per-address sign-up limit (issue 8) here.
    server = await startServer({ env: { SEED_DEMO: 'false', SIGNUP_IP_LIMIT: '100000' } });
    const s = server;
    process.env.DATABASE_URL = s.env.DATABASE_URL;
    const { getDb, closeDb } = await import('@/lib/db');
    const learners = await signUpLearners(s.url, 50, 'crash');
    const seeded = await seedHistory(getDb(), learners, new Date(), 40, 20);
    await closeDb();

    let stop = false;
    const load = runLearners(learners, { stop: () => stop, seed: 3 });
    for (let kill = 0; kill < 3; kill += 1) {
      await sleep(2500);
      await s.kill(); // SIGKILL mid-traffic: no shutdown hooks, requests in flight are cut
      await sleep(300);
      await s.restart();
    }
    await sleep(2000);
    stop = true;
    const result = await load;
    await s.stop();

    expect(result.acknowledged.length).toBeGreaterThan(100);
    expect(result.retries).toBeGreaterThan(0); // the kills really hit requests in flight
    const file = (s.env.DATABASE_URL ?? '').replace(/^file:/, '');
    const db = new Database(path.resolve(file), { readonly: true });
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      const count = db.prepare('SELECT COUNT(*) AS n FROM ReviewLog WHERE clientReviewId = ?');
      const missing: string[] = [];
      for (const a of result.acknowledged) {
        const n = (count.get(a.clientReviewId) as { n: number }).n;
        if (n !== 1) missing.push(`${a.clientReviewId}: ${n}`);
      }
      expect(missing, missing.slice(0, 5).join('\n')).toEqual([]);
      // Every rating the clients sent was eventually acknowledged (they retry until answered), so
      // the log holds exactly the seeded history plus one row per acknowledged rating…
      const total = (db.prepare('SELECT COUNT(*) AS n FROM ReviewLog').get() as { n: number }).n;
      expect(total).toBe(seeded + result.acknowledged.length);
      expect(new Set(result.acknowledged.map((a) => a.clientReviewId)).size).toBe(result.acknowledged.length);
      // …and no card's state took a rating twice: its repetitions equal its log rows.
      const drift = db
        .prepare(
          `SELECT s.userId, s.cardId, s.reps, (SELECT COUNT(*) FROM ReviewLog l WHERE l.userId = s.userId AND l.cardId = s.cardId) AS logs
           FROM CardState s WHERE s.reps != (SELECT COUNT(*) FROM ReviewLog l WHERE l.userId = s.userId AND l.cardId = s.cardId)`,
        )
        .all();
      expect(drift).toEqual([]);
    } finally {
      db.close();
    }
  }, 300_000);
});

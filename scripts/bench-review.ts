/**
 * npm run bench:review — "rate this card, give me the next ones" against the real server.
 *
 * For each database (PostgreSQL first when reachable, then the embedded SQLite file): start the
 * production server on a fresh database, sign up BENCH_LEARNERS learners (default 50), give each
 * 500 cards with 90 days of review history, then measure two things over loopback HTTP (so the
 * figures include HTTP parsing and the session lookup — an upper bound on server time):
 *  - latency: all learners rate at once, each at random moments BENCH_RATE times a second on
 *    average (default 2: a very fast reviewer; real ones take several seconds a card), for
 *    BENCH_SECONDS (default 15) after a warm-up — p50 and p99 of the answer time;
 *  - throughput: all learners rate as fast as answers come back (one request in flight each,
 *    no pause) for BENCH_SECONDS — ratings acknowledged per second, sustained.
 * The last line is read by scripts and stays exactly:
 *   review p50_ms=<x> p99_ms=<x> ratings_per_s=<x> db=sqlite
 * Needs a production build (`npx next build`).
 */
import { postgresReachable, startServer } from '../test/helpers/server';
import { quantile, runLearners, runLearnersOpenLoop, seedHistory, signUpLearners } from './review-load';

const LEARNERS = Number(process.env.BENCH_LEARNERS ?? 50);
/** Which databases to run: `postgresql,sqlite` (default), or one of them. SQLite always runs last. */
const DBS = (process.env.BENCH_DBS ?? 'postgresql,sqlite').split(',');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const RATE = Number(process.env.BENCH_RATE ?? 2);
const fmt = (n: number) => (Math.round(n * 10) / 10).toString();

async function bench(provider: 'sqlite' | 'postgresql'): Promise<string> {
  // Simulated learners all sign up from this one address: lift the per-address sign-up limit.
  const server = await startServer({ provider, env: { SEED_DEMO: 'false', SIGNUP_IP_LIMIT: '100000' } });
  try {
    process.env.DATABASE_URL = server.env.DATABASE_URL;
    const { getDb, closeDb } = await import('@/lib/db');
    const learners = await signUpLearners(server.url, LEARNERS);
    const t0 = performance.now();
    const logs = await seedHistory(getDb(), learners, new Date());
    console.error(
      `[${provider}] ${learners.length} learners × 500 cards, ${logs} review-log rows seeded in ${fmt((performance.now() - t0) / 1000)} s`,
    );
    await closeDb();
    const warm = Date.now() + 3000;
    await runLearners(learners, { stop: () => Date.now() > warm, seed: 1 });
    const open = await runLearnersOpenLoop(learners, { seconds: SECONDS, perLearnerPerSecond: RATE, seed: 3 });
    console.error(
      `[${provider}] latency: ${open.latencies.length} ratings by ${learners.length} learners at ${fmt(open.latencies.length / open.seconds)}/s offered: p50 ${fmt(quantile(open.latencies, 0.5))} ms, p90 ${fmt(quantile(open.latencies, 0.9))} ms, p99 ${fmt(quantile(open.latencies, 0.99))} ms`,
    );
    const end = Date.now() + SECONDS * 1000;
    const r = await runLearners(learners, { stop: () => Date.now() > end, seed: 2 });
    console.error(
      `[${provider}] throughput: ${r.latencies.length} ratings by ${learners.length} learners with no pause in ${fmt(r.seconds)} s = ${fmt(r.latencies.length / r.seconds)}/s (p50 ${fmt(quantile(r.latencies, 0.5))} ms while saturated), ${r.retries} retries`,
    );
    const line = `review p50_ms=${fmt(quantile(open.latencies, 0.5))} p99_ms=${fmt(quantile(open.latencies, 0.99))} ratings_per_s=${fmt(r.latencies.length / r.seconds)} db=${provider}`;
    return line;
  } finally {
    await server.cleanup();
    const { closeDb } = await import('@/lib/db');
    await closeDb().catch(() => undefined);
  }
}

const lines: string[] = [];
if (DBS.includes('postgresql')) {
  if (await postgresReachable()) lines.push(await bench('postgresql'));
  else console.error('PostgreSQL not reachable at TEST_POSTGRES_URL: skipping its run');
}
// getDb caches one client per process; the SQLite run needs a fresh one.
const { closeDb } = await import('@/lib/db');
await closeDb();
if (DBS.includes('sqlite')) lines.push(await bench('sqlite'));
for (const l of lines) console.log(l);
process.exit(0);

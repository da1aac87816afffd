/**
 * Simulated learners for `npm run bench:review` and the SIGKILL reliability test: sign-ups over
 * HTTP, 90 days of review history written straight into the database (through lib/srs's own
 * scheduler, so the states are ones FSRS produces), and a closed loop of ratings against the
 * real server, each with a client-made id and retried with the same id until answered.
 */
import { randomUUID } from 'node:crypto';
import type { Db } from '@/lib/db';
import { seededRandom } from '@/lib/prng';
import { DEFAULT_SCHEDULER_SETTINGS, newCardMemory, type ReviewRating, rateMemory } from '@/lib/srs/schedule';
import { Browserish } from '../test/helpers/http';

export interface Learner {
  id: string;
  http: Browserish;
  cardIds: string[];
}

/** Signs up `n` learners (each its own cookie jar); their cards are seeded by `seedHistory`. */
export async function signUpLearners(base: string, n: number, prefix = 'bench'): Promise<Learner[]> {
  const out: Learner[] = [];
  // A few at a time: sign-up hashes a password with scrypt (32 MiB, on purpose slow).
  for (let i = 0; i < n; i += 5) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(5, n - i) }, async (_, j) => {
        const http = new Browserish(base);
        const email = `${prefix}-${i + j}-${randomUUID().slice(0, 8)}@example.test`;
        const res = await http.post('/api/auth/sign-up', { name: `Learner ${i + j}`, email, password: 'correct horse battery' });
        if (res.status !== 201) throw new Error(`sign-up failed: ${res.status} ${await res.text()}`);
        const me = (await (await http.get('/api/me')).json()) as { user?: { id: string }; id?: string };
        const id = me.user?.id ?? me.id;
        if (!id) throw new Error('could not read the user id from /api/me');
        return { id, http, cardIds: [] as string[] };
      }),
    );
    out.push(...batch);
  }
  return out;
}

function pickRating(r: number): ReviewRating {
  if (r < 0.1) return 1;
  if (r < 0.15) return 2;
  if (r < 0.93) return 3;
  return 4;
}

/**
 * Gives each learner `cardsPerLearner` cards with `days` of review history ending at `now`. The
 * course's cards come first; if the course has fewer, bench-only cards (`bench-card-N`, each its
 * own section) make up the rest. Returns the number of review-log rows written.
 */
export async function seedHistory(db: Db, learners: Learner[], now: Date, cardsPerLearner = 500, days = 90): Promise<number> {
  const course = await db.card.findMany({ where: { retiredAt: null }, select: { id: true }, orderBy: { id: 'asc' } });
  const ids = course.map((c) => c.id).slice(0, cardsPerLearner);
  for (let i = ids.length; i < cardsPerLearner; i += 1) {
    const id = `bench-card-${i}`;
    await db.card.upsert({
      where: { id },
      create: { id, partId: 'bench', sectionId: `bench-${i}`, lessonId: 'bench', anchor: 'bench', type: 'qa', contentHash: 'bench' },
      update: {},
    });
    ids.push(id);
  }
  let logs = 0;
  const dayMs = 86_400_000;
  for (const [li, learner] of learners.entries()) {
    learner.cardIds = ids;
    const rand = seededRandom(1000 + li);
    const states = [];
    const rows = [];
    for (const cardId of ids) {
      const introducedAt = new Date(now.getTime() - days * dayMs + Math.floor(rand() * (days - 5) * dayMs));
      let m = newCardMemory(introducedAt);
      let at = introducedAt;
      while (at.getTime() < now.getTime() - 60_000) {
        const before = m;
        const rating = pickRating(rand());
        const r = rateMemory(m, cardId, rating, at, DEFAULT_SCHEDULER_SETTINGS);
        rows.push({
          id: randomUUID(),
          clientReviewId: randomUUID(),
          userId: learner.id,
          cardId,
          rating,
          state: r.log.state,
          due: r.log.due,
          stability: r.log.stability,
          difficulty: r.log.difficulty,
          elapsedDays: r.log.elapsedDays,
          scheduledDays: r.log.scheduledDays,
          reviewedAt: at,
          durationMs: 3000 + Math.floor(rand() * 9000),
          previousCard: JSON.stringify({ ...before, introducedAt, suspendedAt: null, leech: false }),
        });
        m = r.memory;
        // The learner reviews on the due date, sometimes a day or two late.
        at = new Date(Math.max(m.due.getTime(), at.getTime() + 60_000) + Math.floor(rand() * 2) * dayMs);
      }
      states.push({ userId: learner.id, cardId, introducedAt, ...m });
    }
    await db.cardState.createMany({ data: states });
    for (let i = 0; i < rows.length; i += 2000) await db.reviewLog.createMany({ data: rows.slice(i, i + 2000) });
    logs += rows.length;
  }
  return logs;
}

export interface LoadResult {
  /** Latency of each acknowledged "rate, give me the next ones" request, ms. */
  latencies: number[];
  acknowledged: { learnerId: string; clientReviewId: string; cardId: string }[];
  retries: number;
  seconds: number;
}

/**
 * Every learner rates continuously (one request in flight each) until `stop()` says so. A request
 * without an answer (connection refused while the server is down, reset, 5xx) is retried with
 * the SAME client id, as the browser's outbox does, until the server answers it.
 */
export async function runLearners(learners: Learner[], opts: { stop: () => boolean; seed?: number }): Promise<LoadResult> {
  const latencies: number[] = [];
  const acknowledged: LoadResult['acknowledged'] = [];
  let retries = 0;
  const started = performance.now();
  await Promise.all(
    learners.map(async (l, li) => {
      const rand = seededRandom((opts.seed ?? 7) + li);
      let i = Math.floor(rand() * l.cardIds.length);
      while (!opts.stop()) {
        const cardId = l.cardIds[i % l.cardIds.length] ?? '';
        i += 1;
        const body = {
          clientReviewId: randomUUID(),
          cardId,
          rating: pickRating(rand()),
          reviewedAt: new Date().toISOString(),
          durationMs: 4000,
        };
        for (;;) {
          const t0 = performance.now();
          let status = 0;
          try {
            const res = await l.http.post('/api/reviews', body);
            status = res.status;
            await res.arrayBuffer();
          } catch {
            status = 0;
          }
          if (status === 200) {
            latencies.push(performance.now() - t0);
            acknowledged.push({ learnerId: l.id, clientReviewId: body.clientReviewId, cardId });
            break;
          }
          if (status === 409 || status === 404 || status === 422) throw new Error(`rating refused with ${status}`);
          retries += 1;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    }),
  );
  return { latencies, acknowledged, retries, seconds: (performance.now() - started) / 1000 };
}

/**
 * Open loop: each learner rates at random (Poisson) moments, `perLearnerPerSecond` on average,
 * whether or not earlier answers are back — as real learners do, independently of each other.
 * Latency then measures the server's answer time at that load, not a queue the benchmark made.
 */
export async function runLearnersOpenLoop(
  learners: Learner[],
  opts: { seconds: number; perLearnerPerSecond: number; seed?: number },
): Promise<LoadResult> {
  const latencies: number[] = [];
  const acknowledged: LoadResult['acknowledged'] = [];
  const started = performance.now();
  const end = started + opts.seconds * 1000;
  const inFlight: Promise<void>[] = [];
  await Promise.all(
    learners.map(async (l, li) => {
      const rand = seededRandom((opts.seed ?? 11) + li);
      let i = Math.floor(rand() * l.cardIds.length);
      for (;;) {
        const gap = -Math.log(1 - rand()) * (1000 / opts.perLearnerPerSecond);
        await new Promise((r) => setTimeout(r, gap));
        if (performance.now() > end) return;
        const cardId = l.cardIds[i % l.cardIds.length] ?? '';
        i += 1;
        const body = {
          clientReviewId: randomUUID(),
          cardId,
          rating: pickRating(rand()),
          reviewedAt: new Date().toISOString(),
          durationMs: 4000,
        };
        const t0 = performance.now();
        inFlight.push(
          l.http.post('/api/reviews', body).then(async (res) => {
            await res.arrayBuffer();
            if (res.status !== 200) throw new Error(`rating answered ${res.status}`);
            latencies.push(performance.now() - t0);
            acknowledged.push({ learnerId: l.id, clientReviewId: body.clientReviewId, cardId });
          }),
        );
      }
    }),
  );
  await Promise.all(inFlight);
  return { latencies, acknowledged, retries: 0, seconds: (performance.now() - started) / 1000 };
}

/** The q-quantile (0–1) of a list of numbers. */
export function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] ?? Number.NaN;
}

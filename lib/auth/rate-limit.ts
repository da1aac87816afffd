import { getDb } from '@/lib/db';

/**
 * Fixed-window attempt counters in the database, so every web node shares them.
 *
 * `consumeAttempt` counts one attempt against `key` and says whether it is allowed. The counter is
 * bumped with a conditional atomic increment (no read-modify-write race); an expired or missing
 * window is restarted by an upsert.
 */
export type AttemptVerdict = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export async function consumeAttempt(key: string, limit: number, windowSeconds: number, now: Date): Promise<AttemptVerdict> {
  const db = getDb();
  const bumped = await db.rateLimit.updateMany({
    where: { key, windowEnd: { gt: now } },
    data: { count: { increment: 1 } },
  });
  if (bumped.count === 0) {
    const windowEnd = new Date(now.getTime() + windowSeconds * 1000);
    await db.rateLimit.upsert({
      where: { key },
      create: { key, count: 1, windowEnd },
      update: { count: 1, windowEnd },
    });
    return { allowed: true };
  }
  const row = await db.rateLimit.findUnique({ where: { key } });
  if (row && row.count > limit) {
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((row.windowEnd.getTime() - now.getTime()) / 1000)) };
  }
  return { allowed: true };
}

/** Forgets `key`'s attempts (after a successful sign-in, the account's counter restarts). */
export async function clearAttempts(key: string): Promise<void> {
  await getDb().rateLimit.deleteMany({ where: { key } });
}

/** True while `key` has a live window (e.g. "this account signed in from this address lately"). */
export async function hasLiveWindow(key: string, now: Date): Promise<boolean> {
  const row = await getDb().rateLimit.findUnique({ where: { key } });
  return row !== null && row.windowEnd > now;
}

/** Records `key` for `seconds` from now (a long-lived marker in the same table, no counting). */
export async function rememberFor(key: string, seconds: number, now: Date): Promise<void> {
  const windowEnd = new Date(now.getTime() + seconds * 1000);
  await getDb().rateLimit.upsert({ where: { key }, create: { key, count: 0, windowEnd }, update: { windowEnd } });
}

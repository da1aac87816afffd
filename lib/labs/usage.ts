import { getDb } from '@/lib/db';

/**
 * The daily lab-time allowance (LAB_MINUTES_PER_DAY): what a learner's sessions used today (UTC),
 * from the LabSession records, so a session that is stopped and restarted still counts, and an
 * account cannot hold a slot for hours by extending and typing a key now and then.
 */

export interface UsageRow {
  startedAt: Date;
  /** null while the session runs. */
  endedAt: Date | null;
}

/** Start of the UTC day containing `now`. */
export function utcDayStart(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
}

/** Milliseconds of `rows` that fall inside [dayStart, now] (a running session counts up to now). Pure. */
export function msUsedSince(rows: readonly UsageRow[], dayStart: Date, now: Date): number {
  let total = 0;
  for (const r of rows) {
    const from = Math.max(r.startedAt.getTime(), dayStart.getTime());
    const to = Math.min(r.endedAt?.getTime() ?? now.getTime(), now.getTime());
    if (to > from) total += to - from;
  }
  return total;
}

/** Lab milliseconds the learner has left today, and when the allowance renews. */
export async function labTimeLeftToday(userId: string, minutesPerDay: number, now: Date): Promise<{ msLeft: number; renewsAt: Date }> {
  const dayStart = utcDayStart(now);
  const rows = await getDb().labSession.findMany({
    where: { userId, OR: [{ endedAt: null }, { endedAt: { gt: dayStart } }] },
    select: { startedAt: true, endedAt: true },
  });
  return {
    msLeft: Math.max(0, minutesPerDay * 60_000 - msUsedSince(rows, dayStart, now)),
    renewsAt: new Date(dayStart.getTime() + 24 * 3_600_000),
  };
}

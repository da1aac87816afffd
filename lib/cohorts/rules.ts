/**
 * The cohort rules, pure (no database, no clock): the grade rule with its late penalty, the
 * "struggling" flags with their thresholds, and the words the pages use to state both. The
 * dashboard and the grade export compute with these functions only, so what the page says the
 * rule is and what the numbers do cannot drift apart (test/unit/cohort-rules.test.ts).
 */

export const DAY_MS = 86_400_000;

/** How late work loses points: `perDay` % of the item's points per started day late, at most `max` %. */
export interface LateRule {
  perDay: number;
  max: number;
}

export type GradedKind = 'lab' | 'quiz';

export interface GradedItemSpec {
  kind: GradedKind;
  itemId: string;
  title: string;
  points: number;
  dueAt: Date;
}

/**
 * One try at a graded item: when, and how much of it was right (0–1). A lab Check counts its
 * passed tasks over all tasks; a finished quiz walk counts the questions answered right on the
 * first try over the questions on its path. Unfinished walks are not tries.
 */
export interface ItemTry {
  at: Date;
  fraction: number;
}

export interface ItemGrade {
  kind: GradedKind;
  itemId: string;
  points: number;
  possible: number;
  /** The counted try was after the due date. */
  late: boolean;
  /** Started days late of the counted try (0 when on time). */
  daysLate: number;
  /** Percent taken off the counted try. */
  penalty: number;
  /** The counted try, or null when there was none (0 points). */
  countedAt: Date | null;
  tries: number;
}

/** Started days after `dueAt` (a minute late is one day); 0 when on time. */
export function daysLate(at: Date, dueAt: Date): number {
  const over = at.getTime() - dueAt.getTime();
  return over <= 0 ? 0 : Math.ceil(over / DAY_MS);
}

/** Percent of the points a try at `at` loses under `rule`. */
export function latePenalty(at: Date, dueAt: Date, rule: LateRule): number {
  return Math.min(rule.max, daysLate(at, dueAt) * rule.perDay);
}

/** Points rounded to two decimals, the precision the export writes. */
export function roundPoints(n: number): number {
  return Math.round(n * 100) / 100;
}

/**
 * The grade of one item: every try is worth `fraction × points × (1 − penalty)`, and the best
 * try counts (on a tie, the earliest). A late resubmission therefore never lowers a grade earned
 * on time. No try: 0 points, not late.
 */
export function gradeItem(item: GradedItemSpec, tries: readonly ItemTry[], rule: LateRule): ItemGrade {
  let best: { value: number; at: Date; penalty: number } | null = null;
  for (const t of tries) {
    const fraction = Math.min(1, Math.max(0, t.fraction));
    const penalty = latePenalty(t.at, item.dueAt, rule);
    const value = fraction * item.points * (1 - penalty / 100);
    if (!best || value > best.value + 1e-9 || (Math.abs(value - best.value) <= 1e-9 && t.at < best.at)) {
      best = { value, at: t.at, penalty };
    }
  }
  const d = best ? daysLate(best.at, item.dueAt) : 0;
  return {
    kind: item.kind,
    itemId: item.itemId,
    points: best ? roundPoints(best.value) : 0,
    possible: item.points,
    late: d > 0,
    daysLate: d,
    penalty: best?.penalty ?? 0,
    countedAt: best?.at ?? null,
    tries: tries.length,
  };
}

export interface LearnerGrade {
  items: ItemGrade[];
  total: number;
  possible: number;
  /** total / possible × 100, one decimal; 0 when nothing is graded. */
  percent: number;
}

/** The learner's grade over the cohort's items: the sum of the items' points. */
export function gradeLearner(
  items: readonly GradedItemSpec[],
  triesOf: (item: GradedItemSpec) => readonly ItemTry[],
  rule: LateRule,
): LearnerGrade {
  const graded = items.map((i) => gradeItem(i, triesOf(i), rule));
  const total = roundPoints(graded.reduce((s, g) => s + g.points, 0));
  const possible = items.reduce((s, i) => s + i.points, 0);
  return { items: graded, total, possible, percent: possible === 0 ? 0 : Math.round((total / possible) * 1000) / 10 };
}

/** The grade rule in words, as the cohort page shows it. */
export function describeGradeRule(items: readonly GradedItemSpec[], rule: LateRule): string[] {
  const possible = items.reduce((s, i) => s + i.points, 0);
  const lines = [
    `The total is out of ${possible} points: each graded item is worth its points (its weight).`,
    'A lab Check scores the share of its tasks that passed; a finished quiz walk scores the share of questions on its path answered right on the first try. Unfinished walks do not count.',
    'The best try at an item counts, after any late penalty; a later try never lowers a grade.',
  ];
  lines.push(
    rule.perDay === 0 || rule.max === 0
      ? 'Late work loses nothing.'
      : `Work after the due date loses ${rule.perDay}% of the item's points per started day late, at most ${rule.max}%.`,
  );
  return lines;
}

// ── Struggling learners ──────────────────────────────────────────────────────────────────────

/** The thresholds of the flags, shown on the dashboard next to the flags they raise. */
export const FLAG_RULES = {
  /** Review cards due more than a day ago. */
  overdueCards: 30,
  /** Days without any review, lesson read, quiz step or lab Check. */
  inactiveDays: 7,
  /** Retention window (days) compared with the window before it. */
  retentionWindowDays: 14,
  /** Reviews of mature cards each window needs before its retention means anything. */
  retentionMinReviews: 20,
  /** A drop of this many percentage points between the windows, or this far below desired. */
  retentionDropPoints: 10,
  /** Failed Checks of one lab task, never passed since. */
  taskFailures: 3,
} as const;

export type FlagKind = 'overdue' | 'falling-retention' | 'inactive' | 'stuck-on-task';

export interface Flag {
  kind: FlagKind;
  reason: string;
}

export interface FlagInput {
  /** Review cards whose due date is more than a day past. */
  overdueCards: number;
  /** Mature-card reviews and how many were recalled, the latest window and the one before. */
  recent: { reviews: number; recalled: number };
  prior: { reviews: number; recalled: number };
  desiredRetention: number;
  lastActivity: Date | null;
  enrolledAt: Date;
  /** Per lab task: failed Checks since it last passed (never passed: all failures). */
  taskFailures: { labTitle: string; taskId: string; failures: number }[];
}

const pct = (x: number) => `${Math.round(x * 100)}%`;

/** The flags a learner raises at `now`, each with the reason the dashboard shows. */
export function struggleFlags(f: FlagInput, now: Date): Flag[] {
  const flags: Flag[] = [];
  if (f.overdueCards >= FLAG_RULES.overdueCards) {
    flags.push({ kind: 'overdue', reason: `${f.overdueCards} review cards overdue by more than a day` });
  }
  const { retentionMinReviews: min, retentionDropPoints: drop, retentionWindowDays: w } = FLAG_RULES;
  if (f.recent.reviews >= min) {
    const recent = f.recent.recalled / f.recent.reviews;
    if (f.prior.reviews >= min && (f.prior.recalled / f.prior.reviews - recent) * 100 >= drop) {
      flags.push({
        kind: 'falling-retention',
        reason: `retention fell from ${pct(f.prior.recalled / f.prior.reviews)} to ${pct(recent)} (last ${w} days against the ${w} before)`,
      });
    } else if ((f.desiredRetention - recent) * 100 >= drop) {
      flags.push({
        kind: 'falling-retention',
        reason: `retention ${pct(recent)} over the last ${w} days, desired ${pct(f.desiredRetention)}`,
      });
    }
  }
  const since = f.lastActivity ?? f.enrolledAt;
  const idle = Math.floor((now.getTime() - since.getTime()) / DAY_MS);
  if (idle >= FLAG_RULES.inactiveDays) {
    flags.push({
      kind: 'inactive',
      reason: f.lastActivity ? `no activity for ${idle} days` : `nothing done in the ${idle} days since joining`,
    });
  }
  for (const t of f.taskFailures) {
    if (t.failures >= FLAG_RULES.taskFailures) {
      flags.push({ kind: 'stuck-on-task', reason: `${t.labTitle}: task "${t.taskId}" failed ${t.failures} times in a row` });
    }
  }
  return flags;
}

/** Consecutive dates ending at `today` (or yesterday, when today has none yet) in a set of YYYY-MM-DD. */
export function streakOf(dates: ReadonlySet<string>, today: string): number {
  const prev = (d: string) => {
    const x = new Date(`${d}T00:00:00Z`);
    x.setUTCDate(x.getUTCDate() - 1);
    return x.toISOString().slice(0, 10);
  };
  let cursor = dates.has(today) ? today : prev(today);
  let n = 0;
  while (dates.has(cursor)) {
    n += 1;
    cursor = prev(cursor);
  }
  return n;
}

/** Failures of each task since it last passed, from Checks in time order. */
export function failuresSinceLastPass(
  checks: readonly { at: Date; tasks: readonly { taskId: string; passed: boolean }[] }[],
): Map<string, number> {
  const out = new Map<string, number>();
  for (const c of [...checks].sort((a, b) => a.at.getTime() - b.at.getTime())) {
    for (const t of c.tasks) out.set(t.taskId, t.passed ? 0 : (out.get(t.taskId) ?? 0) + 1);
  }
  return out;
}

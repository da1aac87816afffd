import { type CheckContext, GraderError, type GuestOutput } from './check';
import { type PerfStat, parsePerfStat, perfCounter } from './parse';
import { shieldedExec } from './shield';

/**
 * `perf stat` as the graders run it: the workload as the learner (their config file) with the
 * grader's own binaries and a clean environment, counting syscall tracepoints in the kernel.
 *
 * perf is an instrument the grader checks before it believes it. In the aarch64 guest (QEMU TCG,
 * two vCPUs) about one run in twelve reports every counter as 0 — the workload ran, nothing was
 * counted — and now and then perf itself dies of SIGSEGV before it prints. A zero would read as
 * "no syscalls at all", i.e. a perfect score for an untouched program, so every run also counts
 * `set_tid_address`, which glibc's start-up makes once in every lab program (they are static;
 * it comes before main, so a program that later crashes has made it too). A run that did not
 * count one (or in which perf itself was killed) measured nothing and is taken again, up to six
 * times, said so in the evidence. After that the check fails with "could not gather its
 * evidence" — it never passes.
 */

export const CONTROL_EVENT = 'syscalls:sys_enter_set_tid_address';
/** Void runs come in streaks when the host is busy (CI saw three in a row once): try up to six. */
export const PERF_TRIES = 6;

export interface PerfStatRun {
  /** The last run's output (perf's counters are on stderr, the workload's output on both). */
  out: GuestOutput;
  stat: PerfStat;
  /** Runs thrown away as void before this one, each with why. */
  voided: string[];
}

/** Why a perf run measured nothing, or null when its control counter shows it counted. */
export function voidPerfRun(out: GuestOutput, stat: PerfStat): string | null {
  if (out.signal !== 0) return `perf was killed by signal ${out.signal}`;
  if (out.timedOut) return 'perf timed out';
  const control = perfCounter(stat, CONTROL_EVENT);
  if (control === null) return `perf printed no ${CONTROL_EVENT} count`;
  if (control < 1) return 'perf counted no set_tid_address for a program whose start-up makes one: it counted nothing';
  return null;
}

export async function perfStat(
  ctx: Pick<CheckContext, 'exec' | 'nonce'>,
  opts: {
    events: readonly string[];
    argv: readonly string[];
    timeoutMs?: number;
    /** Runs before every attempt (e.g. remove an output file the workload creates exclusively). */
    beforeEach?: () => Promise<void>;
  },
): Promise<PerfStatRun> {
  const voided: string[] = [];
  for (let attempt = 1; ; attempt++) {
    await opts.beforeEach?.();
    const out = await shieldedExec(
      ctx.exec,
      ctx.nonce(),
      [
        '/bin/busybox',
        'env',
        '-i',
        'HOME=/',
        'PATH=/usr/bin:/bin',
        '/usr/bin/perf',
        'stat',
        '-x,',
        '-e',
        [...opts.events, CONTROL_EVENT].join(','),
        '--',
        ...opts.argv,
      ],
      { user: 'student', timeoutMs: opts.timeoutMs ?? 60_000 },
    );
    const stat = parsePerfStat(out.stderr);
    const why = voidPerfRun(out, stat);
    if (why === null) return { out, stat, voided };
    voided.push(why);
    if (attempt >= PERF_TRIES)
      throw new GraderError(`perf measured nothing ${PERF_TRIES} times (${voided.join('; ')}): ${out.stderr.slice(-300)}`);
  }
}

/** The evidence line for runs the grader threw away, if any. */
export function voidedNote(run: PerfStatRun): string[] {
  return run.voided.length === 0 ? [] : [`(measured again: ${run.voided.join('; ')})`];
}

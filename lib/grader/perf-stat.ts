import { type CheckContext, GraderError, type GuestOutput } from './check';
import { type PerfStat, parsePerfStat, perfCounter } from './parse';
import { shieldedExec } from './shield';

/**
 * `perf stat` as the graders run it: the workload as the learner (their config file) with the
 * grader's own binaries and a clean environment, counting syscall tracepoints in the kernel.
 *
 * perf is an instrument the grader checks before it believes it. In the aarch64 guest with two
 * vCPUs on multi-threaded TCG about one run in twenty-five reported every counter as 0 — the
 * workload ran, nothing was counted — and once (CI, under the load of parallel VMs) a run counted
 * the program's start but none of its threads' futex calls, so the untouched service passed. Since
 * the vCPUs take turns on one TCG thread (lib/vm/README.md) no such run was seen in 50, but perf
 * also now and then dies of SIGSEGV before it prints, and a grader must not stake a pass on that.
 * A zero would read as "no syscalls at all", i.e. a perfect score for an untouched program. So
 * every run also counts calls the program is known to make, which bracket what is measured:
 *   - `set_tid_address`, once in glibc's start-up, before main (the lab programs are static);
 *   - `exit_group`, once at the very end (returning from main or exit());
 *   - for a workload that starts `threads` worker threads and joins them: `set_robust_list` once
 *     per thread including main (glibc registers each new thread's robust-futex list as it starts)
 *     and `exit` once per worker (as it ends).
 * A run that missed any of them (or in which perf itself was killed or timed out) did not count the
 * whole program and is taken again, up to six times, said so in the evidence. After that the check
 * fails with "could not gather its evidence" — it never passes.
 */

export const CONTROL_EVENT = 'syscalls:sys_enter_set_tid_address';
export const END_EVENT = 'syscalls:sys_enter_exit_group';
export const THREAD_START_EVENT = 'syscalls:sys_enter_set_robust_list';
export const THREAD_END_EVENT = 'syscalls:sys_enter_exit';

/** The control counters for a workload with `threads` joined worker threads (0: single-threaded):
 * each event, the least count a whole run shows, and what a smaller count means. */
function controls(threads: number): [event: string, least: number, why: string][] {
  const bracket: [string, number, string][] = [
    [CONTROL_EVENT, 1, 'no set_tid_address for a program whose start-up makes one: it counted nothing'],
    [END_EVENT, 1, 'no exit_group for a program that ended: it stopped counting before the end'],
  ];
  if (threads <= 0) return bracket;
  return [
    ...bracket,
    [THREAD_START_EVENT, threads + 1, `set_robust_list fewer than ${threads + 1} times for ${threads + 1} threads: it missed threads`],
    [THREAD_END_EVENT, threads, `exit fewer than ${threads} times for ${threads} joined threads: it missed threads`],
  ];
}

/** The events a run counts besides the measured ones. */
export function controlEvents(threads = 0): string[] {
  return controls(threads).map(([event]) => event);
}

/** Void runs come in streaks when the host is busy (CI saw three in a row once): try up to six. */
export const PERF_TRIES = 6;

export interface PerfStatRun {
  /** The last run's output (perf's counters are on stderr, the workload's output on both). */
  out: GuestOutput;
  stat: PerfStat;
  /** Runs thrown away as void before this one, each with why. */
  voided: string[];
}

/** Why a perf run did not count the whole program, or null when its control counters show it did. */
export function voidPerfRun(out: GuestOutput, stat: PerfStat, threads = 0): string | null {
  if (out.signal !== 0) return `perf was killed by signal ${out.signal}`;
  if (out.timedOut) return 'perf timed out';
  for (const [event, least, why] of controls(threads)) {
    const n = perfCounter(stat, event);
    if (n === null) return `perf printed no ${event} count`;
    if (n < least) return `perf counted ${why}`;
  }
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
    /** Worker threads the workload starts and joins (their start and end are counted as controls). */
    threads?: number;
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
        [...opts.events, ...controlEvents(opts.threads)].join(','),
        '--',
        ...opts.argv,
      ],
      { user: 'student', timeoutMs: opts.timeoutMs ?? 60_000 },
    );
    const stat = parsePerfStat(out.stderr);
    const why = voidPerfRun(out, stat, opts.threads);
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

import { type CheckContext, expectOk, GraderError, type GuestExec, type LabGrader, type Verdict } from '../check';
import { parseStraceCalls, perfCounter, splitStraceArgs } from '../parse';
import { perfStat, voidedNote } from '../perf-stat';
import { drawFor } from '../seed';

/**
 * Find the futex contention (labs/futex-contention). counterd's worker threads share three
 * mutexes; the session's seed decides which one is held across a blocking call (the hot lock).
 * Task 1: the learner names it; the grader attaches strace to the running service itself and
 * counts futex calls per lock address. Task 2: the learner removes the contention through
 * ~/counterd.conf; the grader runs a fixed workload with that config and counts futex syscalls
 * per operation in the kernel (perf stat on the sys_enter_futex tracepoint) and checks that no
 * update was lost.
 */

export const COUNTERD = '/opt/labs/futex-contention/counterd';
export const LOCK_NAMES = ['accounts', 'sessions', 'metrics'] as const;
export type LockName = (typeof LOCK_NAMES)[number];
/** Root-only record of the service the lab started (pid and seed), written by prepareSession. */
const STATE_DIR = '/run/kmap';
const PID_FILE = `${STATE_DIR}/counterd.pid`;
const GRADER_DIR = '/run/kmap-grader';
/** The grader's workload: 4 threads, 2000 operations (≈1 s under TCG, contended). */
const OPS = 2000;
/**
 * Naming the lock: at least this many futex calls on the busiest lock, in rounds of SAMPLE_S
 * seconds, at most SAMPLE_ROUNDS of them (4 s). In half a second the contended service made 50–1400
 * calls on its hot lock (the fewer with four VMs loading this 2-core host) and none on the others,
 * so one round is nearly always enough.
 */
const MIN_HOT_CALLS = 30;
const SAMPLE_S = 0.5;
const SAMPLE_ROUNDS = 8;
/** Futex syscalls per operation allowed after the fix. Contended: ~1.5/op; sharded: ~0.00x. */
export const MAX_FUTEX_PER_OP = 0.05;

/** The --seed counterd gets for a session: counterd derives its hot lock from it (hotLockOf). */
export function serviceSeed(sessionSeed: string): number {
  return drawFor(sessionSeed, 'futex-contention/service-seed').int(0x7fffffff) + 1;
}

/** counterd's own choice: hot = ((seed * 2654435761) mod 2^64 >> 7) % 3 (see counterd.c). */
export function hotLockOf(seed: number): LockName {
  const h = ((BigInt(seed) * 2654435761n) & 0xffffffffffffffffn) >> 7n;
  return LOCK_NAMES[Number(h % 3n)] as LockName;
}

async function lockAddresses(exec: GuestExec): Promise<Map<string, LockName>> {
  const r = expectOk('counterd --locks', await exec([COUNTERD, '--locks']));
  const map = new Map<string, LockName>();
  for (const line of r.stdout.trim().split('\n')) {
    const [name, addr] = line.split(' ');
    if (addr && LOCK_NAMES.includes(name as LockName)) map.set(addr, name as LockName);
  }
  if (map.size !== 3) throw new GraderError(`counterd --locks printed ${JSON.stringify(r.stdout)}`);
  return map;
}

/** The service the lab started: pid from the root-only pid file, alive and really counterd. */
async function servicePid(exec: GuestExec): Promise<{ pid: string; seed: number } | null> {
  const r = await exec(['/bin/cat', PID_FILE]);
  const [pid, seed] = r.stdout.trim().split(' ');
  if (r.exitCode !== 0 || !pid || !/^\d+$/.test(pid) || !seed) return null;
  const exe = await exec(['/bin/readlink', `/proc/${pid}/exe`]);
  if (exe.exitCode !== 0 || exe.stdout.trim() !== COUNTERD) return null;
  return { pid, seed: Number(seed) };
}

async function nameTheLock(ctx: CheckContext): Promise<Verdict> {
  const answer = (ctx.answer ?? '').toLowerCase().replace(/_lock$/, '');
  const service = await servicePid(ctx.exec);
  if (!service)
    return {
      passed: false,
      reason: 'The counterd service this lab started is no longer running, so there is nothing to measure. Restart the lab to get it back.',
      evidence: [{ source: PID_FILE, lines: ['(missing, or its process is gone)'] }],
    };
  const locks = await lockAddresses(ctx.exec);
  expectOk('mkdir', await ctx.exec(['/bin/mkdir', '-p', '-m', '700', GRADER_DIR]));
  const perLock = new Map<LockName, number>(LOCK_NAMES.map((n) => [n, 0]));
  let other = 0;
  let rounds = 0;
  // The service works in bursts and strace needs a moment to attach to every thread (longer on a
  // loaded host): sample half a second at a time until the busiest lock has enough calls to be sure.
  for (; rounds < SAMPLE_ROUNDS && Math.max(...perLock.values()) < MIN_HOT_CALLS; rounds++) {
    const trace = `${GRADER_DIR}/futex-${ctx.nonce()}.trace`;
    // SIGINT makes strace detach cleanly at the end of the round (busybox's `timeout` counts whole
    // seconds, its `sleep` does not).
    await ctx.exec(
      [
        '/bin/sh',
        '-c',
        '/usr/bin/strace -f -qq -e trace=futex -o "$1" -p "$2" & s=$!; /bin/busybox sleep "$3"; kill -INT $s; wait $s',
        'sh',
        trace,
        service.pid,
        String(SAMPLE_S),
      ],
      { timeoutMs: 20_000 },
    );
    const out = await ctx.exec(['/bin/cat', trace], { maxOutput: 4 * 1024 * 1024 });
    await ctx.exec(['/bin/rm', '-f', trace]);
    for (const call of parseStraceCalls(out.stdout)) {
      if (call.syscall !== 'futex') continue;
      const name = locks.get(splitStraceArgs(call.args)[0] ?? '');
      if (name) perLock.set(name, (perLock.get(name) ?? 0) + 1);
      else other++;
    }
  }
  const seconds = rounds * SAMPLE_S;
  const ranked = [...perLock.entries()].sort((a, b) => b[1] - a[1]);
  const [hot, hotCalls] = ranked[0] ?? ['accounts', 0];
  const evidence = [
    {
      source: `strace -f -e trace=futex -p ${service.pid} (${rounds} × ${SAMPLE_S} s), futex calls per lock address`,
      lines: [...ranked.map(([n, c]) => `${n} ${[...locks].find(([, v]) => v === n)?.[0]}: ${c} calls`), `other addresses: ${other} calls`],
    },
  ];
  if (hotCalls < MIN_HOT_CALLS)
    return {
      passed: false,
      reason: `Only ${hotCalls} futex calls on any lock in ${seconds} s of tracing: the service is not contended right now, so the answer cannot be confirmed. Did it get restarted with a config?`,
      evidence,
    };
  if (hot !== hotLockOf(service.seed)) return { passed: false, reason: 'The running service is not the one this lab started.', evidence };
  if (answer !== hot)
    return {
      passed: false,
      reason: LOCK_NAMES.includes(answer as LockName)
        ? `In the grader's own ${seconds} s of tracing, ${answer} saw ${perLock.get(answer as LockName)} futex calls and ${hot} saw ${hotCalls}. Match the futex addresses to the names with counterd --locks.`
        : `Answer with one of ${LOCK_NAMES.join(', ')}.`,
      evidence,
    };
  return {
    passed: true,
    reason: `Right: ${hot} took ${hotCalls} futex calls in ${seconds} s of the grader's tracing; the others were barely touched.`,
    evidence,
  };
}

export interface CounterdRun {
  ops: number;
  total: number;
  lost: number;
  shards: number;
  locking: string;
  opsPerSecond: number;
}

export function parseCounterdSummary(line: string): CounterdRun | null {
  const m = /counterd ops=(\d+) total=(\d+) lost=(-?\d+) threads=\d+ shards=(\d+) locking=(on|off) elapsed_ms=\d+ ops_per_s=(\d+)/.exec(
    line,
  );
  if (!m) return null;
  return {
    ops: Number(m[1]),
    total: Number(m[2]),
    lost: Number(m[3]),
    shards: Number(m[4]),
    locking: m[5] ?? '',
    opsPerSecond: Number(m[6]),
  };
}

async function removeTheContention(ctx: CheckContext): Promise<Verdict> {
  const seed = serviceSeed(ctx.seed);
  // As the learner (their config file), but with the grader's own binaries, environment and seed.
  const measured = await perfStat(ctx, {
    events: ['syscalls:sys_enter_futex'],
    threads: 4,
    argv: [COUNTERD, '--ops', String(OPS), '--threads', '4', '--seed', String(seed), '--config', '/home/student/counterd.conf'],
  });
  const { out: r, stat } = measured;
  const run = parseCounterdSummary(r.stdout);
  const futex = perfCounter(stat, 'syscalls:sys_enter_futex');
  const configLines = r.stderr.split('\n').filter((l) => l.startsWith('counterd:'));
  if (!run || futex === null) throw new GraderError(`the workload did not report (exit ${r.exitCode}): ${r.stderr.slice(-300)}`);
  const perOp = futex / run.ops;
  const evidence = [
    {
      source: `perf stat -e syscalls:sys_enter_futex -- counterd --ops ${OPS} --threads 4 --config ~/counterd.conf`,
      lines: [r.stdout.trim(), `${futex} futex syscalls = ${perOp.toFixed(3)} per operation`, ...configLines, ...voidedNote(measured)],
    },
  ];
  if (run.lost !== 0)
    return {
      passed: false,
      reason: `${run.lost} of ${run.ops} updates were lost: without the lock, threads overwrite each other's counts. Remove the contention, not the protection.`,
      evidence,
    };
  if (perOp > MAX_FUTEX_PER_OP)
    return {
      passed: false,
      reason: `Still ${perOp.toFixed(2)} futex calls per operation (the untouched service makes about 1.5; the goal is at most ${MAX_FUTEX_PER_OP}). Threads still queue on a shared lock${run.shards > 1 ? `: ${run.shards} shards for 4 threads still share` : ''}.`,
      evidence,
    };
  return {
    passed: true,
    reason: `${perOp.toFixed(3)} futex calls per operation and every update counted, at ${run.opsPerSecond} operations per second.`,
    evidence,
  };
}

export const futexContention: LabGrader = {
  labId: 'futex-contention',
  tasks: [
    { id: 'name-lock', answer: { prompt: 'Which lock is contended?', pattern: '^[a-z_]{1,32}$' }, check: nameTheLock },
    { id: 'remove-contention', check: removeTheContention },
  ],
  drawnAnswers(seed) {
    const truth = hotLockOf(serviceSeed(seed));
    const wrong = LOCK_NAMES.find((n) => n !== truth) as LockName;
    return { 'name-lock': { truth, wrong } };
  },
  async prepareSession({ seed, exec }) {
    const s = serviceSeed(seed);
    const started = expectOk(
      'start counterd',
      await exec(['/bin/sh', '-c', `${COUNTERD} --serve --seed ${s} >/dev/null 2>&1 & echo $!`], { user: 'student' }),
    );
    const pid = started.stdout.trim();
    if (!/^\d+$/.test(pid)) throw new GraderError(`counterd did not start: ${started.stdout}`);
    expectOk(
      'record counterd',
      await exec(['/bin/sh', '-c', `mkdir -p -m 700 ${STATE_DIR} && printf '%s %s\\n' "$1" "$2" > ${PID_FILE}`, 'sh', pid, String(s)]),
    );
  },
};

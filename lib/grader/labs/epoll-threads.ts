import { type CheckContext, type Evidence, expectOk, GraderError, graderPort, type LabGrader, type Verdict } from '../check';
import { drawFor } from '../seed';
import { shieldedExec } from '../shield';

/**
 * epoll vs a thread per connection (labs/epoll-threads). echod is an echo service that starts a
 * thread for every connection; its config can switch it to one epoll loop (level- or
 * edge-triggered, one read per event or reads until EAGAIN — edge-triggered with one read loses
 * the second half of every message). The grader drives echod with its own load generator
 * (`echod --load`: 300 connections, 64-byte messages, echoes checked byte for byte, latency per
 * message) and reads the server's /proc/PID/status and /proc/PID/fd while every connection is
 * open.
 *
 * Task 1: the learner's config serves all 300 connections with one thread (the thread model is
 * measured alongside for comparison). Task 2: under this session's drawn limits (RLIMIT_NOFILE,
 * RLIMIT_NPROC, RLIMIT_AS — one of them tight), which one stops the thread model first? The
 * grader runs the thread model under those limits and decides from the peak fds, threads and
 * address space against /proc/PID/limits.
 */

export const ECHOD = '/opt/labs/epoll-threads/echod';
export const CONNS = 300;
export const LIMITS_FILE = '/tmp/echod.limits';
export const LIMITS = ['open files', 'threads', 'memory'] as const;
export type Limit = (typeof LIMITS)[number];
/** A thread's stack reservation (RLIMIT_STACK 8 MiB) and its guard page, in KiB. */
const STACK_KB = 8 * 1024 + 64;

export interface EchodLimits {
  tight: Limit;
  nofile: number;
  nproc: number;
  asMib: number;
}

/**
 * This session's limits: one tight enough to stop the thread model well before 300 connections,
 * the other two loose (400 processes stays under the guest's hard RLIMIT_NPROC for the learner,
 * which the kernel sizes from RAM: 596 here).
 */
export function echodLimits(seed: string): EchodLimits {
  const d = drawFor(seed, 'epoll-threads/limits');
  const tight = d.pick(LIMITS);
  const n = 90 + d.int(60);
  return {
    tight,
    nofile: tight === 'open files' ? n : 1024,
    nproc: tight === 'threads' ? n : 400,
    asMib: tight === 'memory' ? Math.round((n * STACK_KB) / 1024) : 8192,
  };
}

export function limitFlags(l: EchodLimits): string {
  return `--nofile ${l.nofile} --nproc ${l.nproc} --as-mib ${l.asMib}`;
}

export interface LoadReport {
  conns: number;
  served: number;
  echoes: number;
  p50us: number;
  p99us: number;
  peak: { threads: number; fds: number; vmsizeKb: number; vmrssKb: number } | null;
}

/** `echod --load` output. */
export function parseLoadReport(text: string): LoadReport | null {
  const m = /conns=(\d+) served=(\d+) rounds=\d+ echoes=(\d+) p50_us=(\d+) p99_us=(\d+)/.exec(text);
  if (!m) return null;
  const p = /peak threads=(-?\d+) fds=(\d+) vmsize_kb=(-?\d+) vmrss_kb=(-?\d+)/.exec(text);
  return {
    conns: Number(m[1]),
    served: Number(m[2]),
    echoes: Number(m[3]),
    p50us: Number(m[4]),
    p99us: Number(m[5]),
    peak: p ? { threads: Number(p[1]), fds: Number(p[2]), vmsizeKb: Number(p[3]), vmrssKb: Number(p[4]) } : null,
  };
}

/** Soft limits from /proc/PID/limits: open files, processes, address space (bytes; null = unlimited). */
export function parseLimits(text: string): { nofile: number | null; nproc: number | null; asBytes: number | null } {
  const soft = (name: string) => {
    const m = new RegExp(`^${name}\\s+(\\S+)`, 'm').exec(text);
    if (!m) throw new GraderError(`no "${name}" line in /proc/PID/limits`);
    return m[1] === 'unlimited' ? null : Number(m[1]);
  };
  return { nofile: soft('Max open files'), nproc: soft('Max processes'), asBytes: soft('Max address space') };
}

/** Which limit the evidence shows was hit, or null when every connection was served. */
export function limitHit(report: LoadReport, limits: ReturnType<typeof parseLimits>): Limit | null {
  if (report.served >= report.conns || !report.peak) return null;
  const { fds, vmsizeKb } = report.peak;
  if (limits.nofile !== null && fds >= limits.nofile - 4) return 'open files';
  if (limits.asBytes !== null && vmsizeKb + STACK_KB > limits.asBytes / 1024) return 'memory';
  return 'threads';
}

function port(ctx: CheckContext): number {
  return graderPort(ctx.nonce());
}

/** The grader's run (as the learner): echod with `serverArgs`, the load against it, then echod's limits and its log. */
export function echodLoadScript(p: number, serverArgs: string, rounds: number, log: string): string {
  return [
    `/bin/busybox env -i HOME=/ ${ECHOD} --port ${p} ${serverArgs} 2>${log} &`,
    's=$!',
    `${ECHOD} --load --port ${p} --conns ${CONNS} --rounds ${rounds} --watch $s`,
    'echo "--- limits"',
    '/bin/cat /proc/$s/limits',
    'kill $s; wait $s 2>/dev/null',
    'echo "--- log"',
    `/bin/cat ${log}; /bin/rm -f ${log}`,
  ].join('\n');
}

/** Splits the script's output into the load report, /proc/PID/limits and echod's log. */
export function parseLoadRun(stdout: string): { report: LoadReport | null; limits: ReturnType<typeof parseLimits> | null; log: string } {
  const [run = '', log = ''] = stdout.split('--- log\n');
  const [loadOut, limitsOut] = run.split('--- limits\n');
  const report = parseLoadReport(loadOut ?? '');
  let limits: ReturnType<typeof parseLimits> | null = null;
  try {
    limits = parseLimits(limitsOut ?? '');
  } catch {
    limits = null;
  }
  return { report, limits, log };
}

/** runLoad, once more on another port when the port drawn was taken (`bind: Address already in use`). */
async function runLoadOnFreePort(ctx: CheckContext, serverArgs: string, rounds: number, log: string) {
  try {
    return await runLoad(ctx, port(ctx), serverArgs, rounds, log);
  } catch (err) {
    if (!(err instanceof GraderError) || !/Address already in use/.test(err.message)) throw err;
    return runLoad(ctx, port(ctx), serverArgs, rounds, log);
  }
}

async function runLoad(ctx: CheckContext, p: number, serverArgs: string, rounds: number, log: string) {
  const { exec } = ctx;
  const script = echodLoadScript(p, serverArgs, rounds, log);
  const r = expectOk(
    'echod under load',
    await shieldedExec(exec, ctx.nonce(), ['/bin/sh', '-c', script], { user: 'student', timeoutMs: 90_000 }),
  );
  const { report, limits, log: echodLog } = parseLoadRun(r.stdout);
  if (!report || !limits)
    throw new GraderError(
      `the load generator printed no report: ${r.stdout.slice(-300)} ${r.stderr.slice(-200)} (echod: ${echodLog.slice(-200)})`,
    );
  const counts = new Map<string, number>();
  for (const l of echodLog.split('\n').filter((x) => x.startsWith('echod:'))) counts.set(l, (counts.get(l) ?? 0) + 1);
  const logLines = [...counts].map(([l, c]) => (c > 1 ? `${l} (×${c})` : l));
  return { report, limits, logLines };
}

function describe(r: LoadReport): string[] {
  return [
    `${r.served}/${r.conns} connections got every echo; ${r.echoes} echoes, latency p50 ${(r.p50us / 1000).toFixed(1)} ms, p99 ${(r.p99us / 1000).toFixed(1)} ms`,
    r.peak
      ? `with every connection open: ${r.peak.threads} threads, ${r.peak.fds} open fds, VmSize ${(r.peak.vmsizeKb / 1024).toFixed(0)} MiB, VmRSS ${(r.peak.vmrssKb / 1024).toFixed(1)} MiB`
      : 'no /proc reading of the server',
  ];
}

async function switchToEpoll(ctx: CheckContext): Promise<Verdict> {
  const n = ctx.nonce();
  const baseline = await runLoadOnFreePort(ctx, '--model threads', 1, `/tmp/kmap-echod-${n}.base`);
  const mine = await runLoadOnFreePort(ctx, '--config /home/student/echod.conf', 3, `/tmp/kmap-echod-${n}.log`);
  const evidence: Evidence[] = [
    {
      source: `echod with ~/echod.conf, the grader's load: ${CONNS} connections × 3 messages`,
      lines: [...describe(mine.report), ...mine.logLines.slice(0, 4)],
    },
    { source: `for comparison, echod --model threads under the same load (1 message each)`, lines: describe(baseline.report) },
  ];
  const r = mine.report;
  if (r.served < r.conns)
    return {
      passed: false,
      reason:
        `Only ${r.served} of ${r.conns} connections got all their echoes back within 3 s. ${r.peak && r.peak.threads <= 2 ? 'With edge-triggered events, a read that leaves bytes behind gets no second wakeup: read until EAGAIN, or use level-triggered events.' : ''}`.trim(),
      evidence,
    };
  if (!r.peak || r.peak.threads > 2)
    return {
      passed: false,
      reason: `echod held ${r.peak?.threads ?? '?'} threads for ${r.conns} connections: still a thread per connection. One epoll loop serves them all on one thread.`,
      evidence,
    };
  return {
    passed: true,
    reason: `${r.conns} connections served by ${r.peak.threads} thread (VmSize ${(r.peak.vmsizeKb / 1024).toFixed(0)} MiB; the thread model needed ${baseline.report.peak?.threads ?? '?'} threads and ${((baseline.report.peak?.vmsizeKb ?? 0) / 1024).toFixed(0)} MiB of address space).`,
    evidence,
  };
}

async function firstLimit(ctx: CheckContext): Promise<Verdict> {
  const drawn = echodLimits(ctx.seed);
  const answer = (ctx.answer ?? '').toLowerCase();
  const run = await runLoadOnFreePort(ctx, `--model threads ${limitFlags(drawn)}`, 1, `/tmp/kmap-echod-${ctx.nonce()}.lim`);
  const hit = limitHit(run.report, run.limits);
  const evidence: Evidence[] = [
    {
      source: `echod --model threads with this session's limits (${LIMITS_FILE}), the grader's ${CONNS} connections`,
      lines: [
        ...describe(run.report),
        `limits: open files ${run.limits.nofile ?? 'unlimited'}, processes ${run.limits.nproc ?? 'unlimited'}, address space ${run.limits.asBytes === null ? 'unlimited' : `${Math.round(run.limits.asBytes / 1048576)} MiB`}`,
        ...run.logLines.slice(0, 4),
      ],
    },
  ];
  if (!LIMITS.includes(answer as Limit)) return { passed: false, reason: `Answer with one of: ${LIMITS.join(', ')}.`, evidence };
  if (hit === null)
    return {
      passed: false,
      reason: 'The thread model served every connection under these limits, so no limit can be confirmed.',
      evidence,
    };
  if (hit !== drawn.tight) throw new GraderError(`the grader measured ${hit} but this session's tight limit is ${drawn.tight}`);
  if (answer !== hit)
    return {
      passed: false,
      reason: `The thread model stopped at ${run.report.peak?.threads ?? '?'} threads and ${run.report.peak?.fds ?? '?'} open fds: that is the ${hit} limit, not ${answer}. Compare the peak with each line of /proc/PID/limits.`,
      evidence,
    };
  return { passed: true, reason: `Right: ${hit} stopped the thread model at ${run.report.served} of ${CONNS} connections.`, evidence };
}

export const epollThreads: LabGrader = {
  labId: 'epoll-threads',
  tasks: [
    { id: 'switch-to-epoll', check: switchToEpoll },
    { id: 'first-limit', answer: { prompt: 'Which limit stops the thread model first?', pattern: '^[a-z ]{1,16}$' }, check: firstLimit },
  ],
  drawnAnswers(seed) {
    const { tight } = echodLimits(seed);
    return { 'first-limit': { truth: tight, wrong: LIMITS.find((l) => l !== tight) as Limit } };
  },
  async prepareSession({ seed, exec }) {
    const flags = limitFlags(echodLimits(seed));
    expectOk(
      'write the session limits',
      await exec(['/bin/sh', '-c', `echo '${flags}' > ${LIMITS_FILE} && /bin/chmod 644 ${LIMITS_FILE}`]),
    );
  },
};

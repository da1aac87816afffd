import { type CheckContext, type Evidence, expectOk, GraderError, type GuestExec, type LabGrader, type Verdict } from '../check';
import { anonInode, parseFdLinks, parseProcLocks, parseProcSyscall, parseTaskStats, parseWchan, type TaskStat } from '../parse';
import { drawFor } from '../seed';

/**
 * /proc as a debugger (labs/proc-debugger). `reportd` hangs; three helpers (indexer, uploader,
 * mailer) each hold a pipe's write end and an flock. Per session the lab draws what reportd
 * blocks on — reading a helper's pipe, an flock a helper holds, or a helper it started as its child
 * — and which helper. The learner names both from /proc, then releases reportd without killing
 * it. The grader reads reportd's stat, wchan, syscall and fds, /proc/locks and every process's
 * fds as root at Check time; the release is judged by the root-only record its root parent
 * (stuckd) writes when reportd ends: how it ended, and whether what it waited for had really come
 * free at that moment (a debugger attached to reportd can make the blocking call return anyway).
 */

export const STUCKD = '/opt/labs/proc-debugger/stuckd';
export const KINDS = ['pipe', 'flock', 'child'] as const;
export type WaitKind = (typeof KINDS)[number];
export const HELPERS = ['indexer', 'uploader', 'mailer'] as const;
const STATE_DIR = '/run/kmap';
const PID_FILE = `${STATE_DIR}/reportd.pid`;
const STATUS_FILE = `${STATE_DIR}/reportd.status`;

export interface StuckDraw {
  kind: WaitKind;
  holder: (typeof HELPERS)[number];
}

export function stuckDraw(seed: string): StuckDraw {
  return { kind: drawFor(seed, 'proc-debugger/kind').pick(KINDS), holder: drawFor(seed, 'proc-debugger/holder').pick(HELPERS) };
}

export interface WaitEvidence {
  pid: number;
  stat: TaskStat | null;
  wchan: string | null;
  syscall: number | null;
  /** What the evidence says reportd waits on, and which process would release it. */
  kind: WaitKind | null;
  holderPid: number | null;
  holderComm: string | null;
  evidence: Evidence[];
}

/**
 * Everything the verdicts need, from one root shell run: reportd's stat, wchan, syscall, its fds;
 * /proc/locks; every process's stat and fds. Pure over the text, so it is tested on captures.
 */
export function readWait(pid: number, text: string): WaitEvidence {
  const section = (name: string) => new RegExp(`^=== ${name}\\n([\\s\\S]*?)(?=^=== |(?![\\s\\S]))`, 'm').exec(text)?.[1] ?? '';
  const stat = parseTaskStats(section('stat'))[0] ?? null;
  const wchan = parseWchan(section('wchan'));
  const syscall = parseProcSyscall(section('syscall'))?.nr ?? null;
  const ownFds = parseFdLinks(section('fd')).filter((f) => f.pid === pid);
  const locks = parseProcLocks(section('locks'));
  const procs = parseTaskStats(section('procs'));
  const allFds = parseFdLinks(section('fds'));
  const comm = (p: number | null) => procs.find((s) => s.pid === p)?.comm ?? null;

  let kind: WaitKind | null = null;
  let holderPid: number | null = null;
  const blockedLock = locks.find((l) => l.blocked && l.pid === pid);
  const stdin = ownFds.find((f) => f.fd === 0);
  const stdinPipe = stdin ? anonInode(stdin.target) : null;
  const lines: string[] = [];
  if (wchan === 'pipe_read' && stdinPipe !== null) {
    kind = 'pipe';
    const others = allFds.filter((f) => f.pid !== pid && anonInode(f.target) === stdinPipe);
    holderPid = others[0]?.pid ?? null;
    lines.push(`fd 0 -> ${stdin?.target}`, ...others.map((f) => `pid ${f.pid} (${comm(f.pid)}) fd ${f.fd} -> ${f.target}`));
  } else if (blockedLock && wchan?.includes('lock')) {
    kind = 'flock';
    const held = locks.find((l) => !l.blocked && l.file === blockedLock.file);
    holderPid = held?.pid ?? null;
    const path = ownFds.find((f) => f.target.startsWith('/var/lib/reports/'))?.target;
    lines.push(
      `waits for ${blockedLock.type} ${blockedLock.access} on ${blockedLock.file}${path ? ` (${path})` : ''}`,
      held ? `held by pid ${held.pid} (${comm(held.pid)})` : 'no holder listed',
    );
  } else if (wchan === 'do_wait') {
    kind = 'child';
    const children = procs.filter((s) => s.ppid === pid);
    holderPid = children[0]?.pid ?? null;
    lines.push(...children.map((c) => `child pid ${c.pid} (${c.comm}) state ${c.state}`));
  }
  return {
    pid,
    stat,
    wchan,
    syscall,
    kind,
    holderPid,
    holderComm: comm(holderPid),
    evidence: [
      {
        source: `/proc/${pid}/{stat,wchan,syscall,fd}`,
        lines: [
          `state ${stat?.state ?? '?'} (${stat?.comm ?? '?'})`,
          `wchan ${wchan ?? '(running or gone)'}`,
          `syscall ${syscall ?? '-'}`,
          ...ownFds.map((f) => `fd ${f.fd} -> ${f.target}`),
        ],
      },
      ...(lines.length > 0
        ? [{ source: kind === 'flock' ? '/proc/locks' : kind === 'pipe' ? '/proc/*/fd' : '/proc/*/stat (ppid)', lines }]
        : []),
    ],
  };
}

/** The root shell script whose output readWait parses; $1 is reportd's pid. */
export const WAIT_SCRIPT = [
  'PATH=/bin:/usr/bin',
  'p=$1',
  'echo "=== stat"; cat /proc/$p/stat',
  'echo "=== wchan"; cat /proc/$p/wchan; echo',
  'echo "=== syscall"; cat /proc/$p/syscall',
  'echo "=== fd"; for f in /proc/$p/fd/*; do echo "$f -> $(readlink $f)"; done',
  'echo "=== locks"; cat /proc/locks',
  'echo "=== procs"; cat /proc/[0-9]*/stat 2>/dev/null',
  'echo "=== fds"; for f in /proc/[0-9]*/fd/*; do t=$(readlink $f 2>/dev/null) && echo "$f -> $t"; done',
  'exit 0',
].join('\n');

async function reportdPid(exec: GuestExec): Promise<number | null> {
  const r = await exec(['/bin/cat', PID_FILE]);
  const pid = r.stdout.trim();
  return r.exitCode === 0 && /^\d+$/.test(pid) ? Number(pid) : null;
}

async function observe(ctx: CheckContext): Promise<{ wait: WaitEvidence; draw: StuckDraw } | Verdict> {
  const draw = stuckDraw(ctx.seed);
  const pid = await reportdPid(ctx.exec);
  if (pid === null) throw new GraderError('the lab did not record reportd (restart the lab)');
  const exe = await ctx.exec(['/bin/readlink', `/proc/${pid}/exe`]);
  if (exe.exitCode !== 0 || exe.stdout.trim() !== STUCKD)
    return {
      passed: false,
      reason:
        'reportd is not waiting any more (it finished or was killed), so what it waited on cannot be confirmed now. Answer these while it hangs; your earlier passes stay in your history. Restart the lab to get a new hang.',
      evidence: [{ source: `/proc/${pid}`, lines: ['(gone)'] }],
    };
  const r = expectOk('read /proc', await ctx.exec(['/bin/sh', '-c', WAIT_SCRIPT, 'sh', String(pid)], { maxOutput: 2 * 1024 * 1024 }));
  const wait = readWait(pid, r.stdout);
  if (wait.kind !== draw.kind || wait.holderComm !== draw.holder)
    return {
      passed: false,
      reason: `reportd is not blocked the way this lab left it (the grader sees ${wait.kind ?? 'no known wait'}${wait.holderComm ? ` on ${wait.holderComm}` : ''}). Restart the lab.`,
      evidence: wait.evidence,
    };
  return { wait, draw };
}

const KIND_WORDS: Record<WaitKind, string> = {
  pipe: 'reading a pipe nobody writes to',
  flock: 'waiting for an flock another process holds',
  child: 'waiting for its child to exit',
};

async function checkBlockedOn(ctx: CheckContext): Promise<Verdict> {
  const o = await observe(ctx);
  if (!('wait' in o)) return o;
  const answer = (ctx.answer ?? '').toLowerCase();
  if (!KINDS.includes(answer as WaitKind))
    return { passed: false, reason: `Answer with one of ${KINDS.join(', ')}.`, evidence: o.wait.evidence };
  if (answer !== o.wait.kind)
    return {
      passed: false,
      reason: `Not ${answer}: the grader reads wchan ${o.wait.wchan} for reportd. Which kernel function is that, and which file in /proc tells you more?`,
      evidence: o.wait.evidence,
    };
  return { passed: true, reason: `Right: reportd is ${KIND_WORDS[o.wait.kind]} (wchan ${o.wait.wchan}).`, evidence: o.wait.evidence };
}

async function checkHolder(ctx: CheckContext): Promise<Verdict> {
  const o = await observe(ctx);
  if (!('wait' in o)) return o;
  const answer = (ctx.answer ?? '').toLowerCase();
  if (!HELPERS.includes(answer as (typeof HELPERS)[number]))
    return { passed: false, reason: `Answer with one of ${HELPERS.join(', ')}.`, evidence: o.wait.evidence };
  if (answer !== o.wait.holderComm)
    return {
      passed: false,
      reason: `Not ${answer}: all three helpers hold a pipe and a lock; only one holds the one reportd waits for. Match what reportd waits on (its fd, its lock's inode, its children) with the helpers.`,
      evidence: o.wait.evidence,
    };
  return {
    passed: true,
    reason: `Right: ${o.wait.holderComm} (pid ${o.wait.holderPid}) holds what reportd waits for.`,
    evidence: o.wait.evidence,
  };
}

async function checkRelease(ctx: CheckContext): Promise<Verdict> {
  const pid = await reportdPid(ctx.exec);
  if (pid === null) throw new GraderError('the lab did not record reportd (restart the lab)');
  const status = await ctx.exec(['/bin/cat', STATUS_FILE]);
  const evidence: Evidence[] = [
    {
      source: `${STATUS_FILE} (written by reportd's root parent when it ends)`,
      lines: [status.stdout.trim() || '(not written: reportd has not ended)'],
    },
  ];
  if (status.exitCode !== 0) {
    const wchan = await ctx.exec(['/bin/cat', `/proc/${pid}/wchan`]);
    evidence.push({ source: `/proc/${pid}/wchan`, lines: [wchan.stdout.trim() || '(gone)'] });
    return {
      passed: false,
      reason: `reportd (pid ${pid}) is still waiting${wchan.stdout.trim() ? ` in ${wchan.stdout.trim()}` : ''}.`,
      evidence,
    };
  }
  const m = /^(exit|signal) (\d+) (released|held: .+)$/.exec(status.stdout.trim());
  if (!m) throw new GraderError(`unreadable status ${JSON.stringify(status.stdout)}`);
  if (m[1] === 'signal')
    return {
      passed: false,
      reason: `reportd was killed by signal ${m[2]}: its report was never written. Release what it waits on instead. (Restart the lab to try again.)`,
      evidence,
    };
  if (m[2] !== '0') return { passed: false, reason: `reportd ended with exit status ${m[2]}, not with its report done.`, evidence };
  const held = m[3]?.startsWith('held: ') ? m[3].slice('held: '.length) : null;
  if (held !== null)
    return {
      passed: false,
      reason: `reportd ended, but nothing was released: when it ended, ${held}. Its blocking call was made to return without what it waited for (a debugger can do that, e.g. strace's inject); free the resource itself.`,
      evidence,
    };
  return { passed: true, reason: 'reportd got what it waited for and finished its report (exit 0).', evidence };
}

export const procDebugger: LabGrader = {
  labId: 'proc-debugger',
  tasks: [
    { id: 'blocked-on', answer: { prompt: 'What is reportd blocked on?', pattern: '^[a-z]{1,8}$' }, check: checkBlockedOn },
    { id: 'holder', answer: { prompt: 'Which process holds it?', pattern: '^[a-z]{1,12}$' }, check: checkHolder },
    { id: 'release', check: checkRelease },
  ],
  drawnAnswers(seed) {
    const { kind, holder } = stuckDraw(seed);
    return {
      'blocked-on': { truth: kind, wrong: KINDS.find((k) => k !== kind) as string },
      holder: { truth: holder, wrong: HELPERS.find((h) => h !== holder) as string },
    };
  },
  async prepareSession({ seed, exec }) {
    const { kind, holder } = stuckDraw(seed);
    const started = expectOk('start stuckd', await exec([STUCKD], { stdin: `${kind} ${holder} 1000\n`, timeoutMs: 30_000 }));
    const pid = started.stdout.trim();
    if (!/^\d+$/.test(pid)) throw new GraderError(`reportd did not start: ${started.stdout}`);
    expectOk('record reportd', await exec(['/bin/sh', '-c', `printf '%s\\n' "$1" > ${PID_FILE}`, 'sh', pid]));
  },
};

import { type CheckContext, type Evidence, expectOk, GraderError, type GuestExec, type LabGrader, type Verdict } from '../check';
import { parseCgroupPath, parseCpuMax, parseNameValues, parseOomKills } from '../parse';
import { drawFor } from '../seed';

/**
 * cgroup v2 limits (labs/cgroup-limits). Two workloads the lab starts as the learner — `crunch`
 * (spins) and `bloat` (keeps charging fresh memory) — run in /sys/fs/cgroup/lab/jobs/incoming.
 * The session's ticket (drawn per session) says how much CPU and memory they may have; the
 * learner makes a group of their own under lab/jobs (delegated to them), sets cpu.max and
 * memory.max there and moves the workloads in. The grader reads, at Check time and as root:
 * which cgroup the lab's crunch is in and the cpu.max of that group and its parents, the CPU time
 * crunch gets and the throttling counters (cpu.stat) over one second; and for bloat the kernel's
 * own OOM report (dmesg) naming the pid the lab started and the memory cgroup that killed it, that
 * group's memory.max and memory.events. Files the learner wrote decide nothing on their own: the
 * limit must be the one binding the lab's process, and the kernel must have enforced it.
 */

export const LAB_DIR = '/opt/labs/cgroup-limits';
export const CRUNCH = `${LAB_DIR}/crunch`;
export const BLOAT = `${LAB_DIR}/bloat`;
const JOBSD = `${LAB_DIR}/jobsd`;
const CG = '/sys/fs/cgroup';
/** The delegated subtree (relative to the cgroup root) and where the workloads start. */
export const JOBS = '/lab/jobs';
export const INCOMING = '/lab/jobs/incoming';
const PIDS = '/run/kmap/jobs.pids';
export const TICKET = '/run/lab/ticket';

/** CPU shares (percent of one CPU) and memory ceilings (MiB) a ticket may ask for. */
export const CPU_PERCENTS = [10, 15, 20, 25, 30, 40] as const;
export const MEMORY_MIBS = [16, 20, 24, 32, 40] as const;
/** The stopgap on incoming: half a CPU (so an uncapped crunch does not cost the host a whole core). */
const INCOMING_CPU_MAX = '50000 100000';
const SAMPLE_SECONDS = 1;
/** How far the measured share may sit above the cap (TCG timing and period edges). */
const SHARE_SLACK = 0.08;
/** The cap must equal the ticket's within half a percentage point. */
const RATIO_TOLERANCE = 0.005;

export interface CgroupDraw {
  cpuPercent: number;
  memoryMib: number;
}

export function cgroupDraw(seed: string): CgroupDraw {
  return {
    cpuPercent: drawFor(seed, 'cgroup-limits/cpu').pick(CPU_PERCENTS),
    memoryMib: drawFor(seed, 'cgroup-limits/memory').pick(MEMORY_MIBS),
  };
}

export function ticketText(d: CgroupDraw): string {
  return [
    'Ticket: the nightly batch is starving this box. Until it is fixed, contain it:',
    `crunch: at most ${d.cpuPercent}% of one CPU (cpu.max)`,
    `bloat: at most ${d.memoryMib} MiB of memory (memory.max)`,
    `Both run in ${CG}${INCOMING}; make your own group(s) under ${CG}${JOBS}.`,
    '',
  ].join('\n');
}

/** Pids the lab started, per program, oldest first (jobsd's root-only record). */
async function labPids(exec: GuestExec): Promise<Record<'crunch' | 'bloat', number[]>> {
  const r = expectOk('read the lab record of its workloads', await exec(['/bin/cat', PIDS]));
  const out = { crunch: [] as number[], bloat: [] as number[] };
  for (const line of r.stdout.split('\n')) {
    const m = /^(crunch|bloat) (\d+)$/.exec(line.trim());
    if (m?.[1] && m[2]) out[m[1] as 'crunch' | 'bloat'].push(Number(m[2]));
  }
  return out;
}

/** The lab's running crunch: the newest recorded pid that is alive and really runs the lab's binary. */
async function liveCrunch(exec: GuestExec): Promise<number | null> {
  const { crunch } = await labPids(exec);
  for (const pid of [...crunch].reverse()) {
    const exe = await exec(['/bin/readlink', `/proc/${pid}/exe`]);
    if (exe.exitCode === 0 && exe.stdout.trim() === CRUNCH) return pid;
  }
  return null;
}

/** The cgroup paths from `/lab` down to `leaf`, e.g. /lab, /lab/jobs, /lab/jobs/capped. */
export function ancestry(leaf: string): string[] {
  const parts = leaf.split('/').filter(Boolean);
  const out: string[] = [];
  for (let i = 1; i <= parts.length; i++) out.push(`/${parts.slice(0, i).join('/')}`);
  return out.filter((p) => p === '/lab' || p.startsWith('/lab/'));
}

export interface CpuSample {
  /** Share of one CPU crunch got over the sample (0–1). */
  share: number;
  seconds: number;
  /** Growth of nr_throttled / throttled_usec in the binding group's cpu.stat. */
  throttled: number;
  throttledUsec: number;
}

/**
 * Output of CPU_SAMPLE_SCRIPT: /proc/uptime, crunch's schedstat (ns on CPU) and the group's
 * cpu.stat, twice, "--- after" between them.
 */
export function parseCpuSample(text: string): CpuSample {
  const [before, after] = text.split('--- after\n');
  if (!before || !after) throw new GraderError('the CPU sample is incomplete');
  const read = (part: string) => {
    const [uptime, schedstat, ...rest] = part.split('\n');
    const up = Number(/^([\d.]+) /.exec(uptime ?? '')?.[1]);
    const ns = Number(/^(\d+) /.exec(schedstat ?? '')?.[1]);
    const stat = parseNameValues(rest.join('\n'));
    return { up, ns, throttled: stat.get('nr_throttled'), throttledUsec: stat.get('throttled_usec') };
  };
  const a = read(before);
  const b = read(after);
  const seconds = b.up - a.up;
  if (!(seconds > 0) || !Number.isFinite(a.ns) || !Number.isFinite(b.ns)) throw new GraderError('could not time the CPU sample');
  if (a.throttled === undefined || b.throttled === undefined) throw new GraderError('cpu.stat has no nr_throttled line');
  return {
    share: (b.ns - a.ns) / 1e9 / seconds,
    seconds,
    throttled: b.throttled - a.throttled,
    throttledUsec: (b.throttledUsec ?? 0) - (a.throttledUsec ?? 0),
  };
}

/** $1 = pid, $2 = the binding group's directory. */
export const CPU_SAMPLE_SCRIPT = `s() { /bin/cat /proc/uptime "/proc/$1/schedstat" "$2/cpu.stat"; }; s "$1" "$2" && /bin/sleep ${SAMPLE_SECONDS} && echo '--- after' && s "$1" "$2"`;

async function checkCpu(ctx: CheckContext): Promise<Verdict> {
  const { cpuPercent } = cgroupDraw(ctx.seed);
  const want = cpuPercent / 100;
  const pid = await liveCrunch(ctx.exec);
  if (pid === null)
    return {
      passed: false,
      reason: `The lab's crunch is not running (its supervisor restarts it within a second if it was killed). Cap it, do not stop it.`,
      evidence: [],
    };
  const cg = parseCgroupPath(expectOk('read crunch’s cgroup', await ctx.exec(['/bin/cat', `/proc/${pid}/cgroup`])).stdout);
  if (!cg) throw new GraderError(`could not read /proc/${pid}/cgroup`);
  const evidence: Evidence[] = [{ source: `/proc/${pid}/cgroup (the lab's crunch, pid ${pid})`, lines: [`0::${cg}`] }];
  if (cg === INCOMING || !cg.startsWith(`${JOBS}/`))
    return {
      passed: false,
      reason: `crunch (pid ${pid}) is still in ${cg}. Make a group of your own under ${CG}${JOBS}, give it the ticket's cpu.max and move crunch's pid into its cgroup.procs.`,
      evidence,
    };
  const limits: { group: string; raw: string; ratio: number | null }[] = [];
  for (const g of ancestry(cg)) {
    const r = await ctx.exec(['/bin/cat', `${CG}${g}/cpu.max`]);
    if (r.exitCode !== 0) continue;
    const m = parseCpuMax(r.stdout);
    if (!m) throw new GraderError(`could not read ${CG}${g}/cpu.max`);
    limits.push({ group: g, raw: r.stdout.trim(), ratio: m.quota === null ? null : m.quota / m.period });
  }
  evidence.push({ source: 'cpu.max of crunch’s group and its parents', lines: limits.map((l) => `${l.group}: ${l.raw}`) });
  const binding = limits
    .filter((l): l is { group: string; raw: string; ratio: number } => l.ratio !== null)
    .sort((a, b) => a.ratio - b.ratio)[0];
  if (!binding)
    return {
      passed: false,
      reason: `No cpu.max caps crunch: every group from ${cg} up reads "max". Write "QUOTA PERIOD" (µs) into your group's cpu.max — cpu.weight only shares CPU when others want it.`,
      evidence,
    };
  const sample = parseCpuSample(
    expectOk('sample crunch’s CPU time', await ctx.exec(['/bin/sh', '-c', CPU_SAMPLE_SCRIPT, 'sh', String(pid), `${CG}${binding.group}`]))
      .stdout,
  );
  evidence.push({
    source: `the grader's ${sample.seconds.toFixed(2)} s sample: /proc/${pid}/schedstat and ${binding.group}/cpu.stat`,
    lines: [
      `crunch ran ${(sample.share * 100).toFixed(1)} % of one CPU`,
      `nr_throttled +${sample.throttled}, throttled_usec +${sample.throttledUsec}`,
    ],
  });
  const capPct = (binding.ratio * 100).toFixed(1);
  if (Math.abs(binding.ratio - want) > RATIO_TOLERANCE)
    return {
      passed: false,
      reason: `The cap on crunch is ${capPct} % of a CPU (${binding.group}: ${binding.raw}); the ticket asks for ${cpuPercent} %.`,
      evidence,
    };
  if (sample.throttled < 1 || sample.share > want + SHARE_SLACK)
    return {
      passed: false,
      reason: `cpu.max reads ${capPct} %, but in the grader's sample crunch ran ${(sample.share * 100).toFixed(1)} % of a CPU and was throttled ${sample.throttled} times: the limit is not what holds it back.`,
      evidence,
    };
  return {
    passed: true,
    reason: `crunch is capped at ${cpuPercent} % by ${binding.group}: it ran ${(sample.share * 100).toFixed(1)} % of a CPU in the grader's sample and was throttled ${sample.throttled} times.`,
    evidence,
  };
}

async function checkMemory(ctx: CheckContext): Promise<Verdict> {
  const { memoryMib } = cgroupDraw(ctx.seed);
  const want = memoryMib * 1024 * 1024;
  const { bloat } = await labPids(ctx.exec);
  const dmesg = expectOk('read the kernel log', await ctx.exec(['/bin/dmesg'], { maxOutput: 1 << 20 }));
  const kills = parseOomKills(dmesg.stdout).filter((k) => k.task === 'bloat' && bloat.includes(k.pid));
  const evidence: Evidence[] = [
    {
      source: `/bin/dmesg: oom-kill reports for the lab's bloat (pids ${bloat.join(', ') || 'none'})`,
      lines: kills.length ? kills.map((k) => k.line) : ['(none)'],
    },
  ];
  if (kills.length === 0)
    return {
      passed: false,
      reason: `The kernel has not OOM-killed the lab's bloat yet. Put it in a group whose memory.max is ${memoryMib} MiB; it keeps allocating, so the group's limit ends it within seconds.`,
      evidence,
    };
  const problems: string[] = [];
  for (const k of [...kills].reverse()) {
    if (k.constraint !== 'CONSTRAINT_MEMCG' || !k.oomMemcg.startsWith(`${JOBS}/`)) {
      problems.push(`pid ${k.pid} was killed by ${k.oomMemcg || 'the whole machine'}'s limit, not by a group of yours`);
      continue;
    }
    const max = await ctx.exec(['/bin/cat', `${CG}${k.oomMemcg}/memory.max`]);
    const events = await ctx.exec(['/bin/cat', `${CG}${k.oomMemcg}/memory.events`]);
    if (max.exitCode !== 0 || events.exitCode !== 0) {
      problems.push(`${k.oomMemcg}, which killed pid ${k.pid}, is gone`);
      continue;
    }
    const oomKills = parseNameValues(events.stdout).get('oom_kill') ?? 0;
    evidence.push({
      source: `${k.oomMemcg}/memory.max and memory.events`,
      lines: [`memory.max ${max.stdout.trim()}`, ...events.stdout.trim().split('\n')],
    });
    if (max.stdout.trim() !== String(want)) {
      problems.push(`${k.oomMemcg} killed pid ${k.pid} with memory.max ${max.stdout.trim()}, not ${want} (${memoryMib} MiB)`);
      continue;
    }
    if (oomKills < 1) {
      problems.push(`${k.oomMemcg}/memory.events counts no oom_kill`);
      continue;
    }
    return {
      passed: true,
      reason: `bloat (pid ${k.pid}) was OOM-killed by ${k.oomMemcg}, whose memory.max is ${memoryMib} MiB (memory.events: oom_kill ${oomKills}).`,
      evidence,
    };
  }
  return { passed: false, reason: `${problems.join('; ')}. The ticket asks for memory.max ${memoryMib} MiB.`, evidence };
}

export const cgroupLimits: LabGrader = {
  labId: 'cgroup-limits',
  tasks: [
    { id: 'cpu-cap', check: checkCpu },
    { id: 'memory-cap', check: checkMemory },
  ],
  async prepareSession({ seed, exec }) {
    const d = cgroupDraw(seed);
    const script = [
      'set -e',
      `J=${CG}${JOBS}`,
      '/bin/mkdir -p /run/kmap /run/lab && /bin/chmod 700 /run/kmap && /bin/chmod 755 /run/lab',
      '/bin/mkdir -p "$J"',
      'echo "+cpu +memory" > "$J/cgroup.subtree_control"',
      '/bin/mkdir -p "$J/incoming"',
      `echo "${INCOMING_CPU_MAX}" > "$J/incoming/cpu.max"`,
      // Delegated the kernel's way: the directory and the three files that move processes and
      // enable controllers, never the group's own limits (nor incoming's).
      '/bin/chown student:student "$J" "$J/cgroup.procs" "$J/cgroup.threads" "$J/cgroup.subtree_control"',
      `/bin/cat > ${TICKET} <<'EOF'\n${ticketText(d)}EOF`,
      `/bin/chmod 644 ${TICKET}`,
      ': > /run/kmap/jobs.pids',
      `echo "$J/incoming 1000" | ${JOBSD} > /run/kmap/jobsd.pid`,
    ].join('\n');
    expectOk('start the workloads', await exec(['/bin/sh', '-c', script], { timeoutMs: 30_000 }));
  },
};

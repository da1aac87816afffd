import { type CheckContext, type Evidence, expectOk, GraderError, type GuestExec, type LabGrader, type Verdict } from '../check';
import { type PressureLine, parsePressure } from '../parse';
import { drawFor } from '../seed';

/**
 * PSI triage (labs/psi-triage). Three batch jobs — the same program, `jobd`, in three cgroups
 * (lab/jobs/batch-a, -b, -c) with identical limits — run in the VM; one of them, drawn per session,
 * stalls on CPU, memory or I/O (also drawn), the others sleep. The learner names the resource from
 * /proc/pressure/* and the tool they would reach for next. The grader samples the three pressure
 * files itself for half a second at Check time and accepts an answer only when the drawn
 * resource is measurably stalled right now.
 */

export const JOBD = '/opt/labs/psi-triage/jobd';
export const RESOURCES = ['cpu', 'memory', 'io'] as const;
export type Resource = (typeof RESOURCES)[number];
export const JOBS = ['batch-a', 'batch-b', 'batch-c'] as const;
const CGROUP_ROOT = '/sys/fs/cgroup/lab/jobs';
const STATE_DIR = '/run/kmap';
const PID_FILE = `${STATE_DIR}/jobd.pids`;
/** The grader's sample. A stalled job measures 90–100 % here; an idle VM under 3 %. */
const SAMPLE_SECONDS = 0.5;
/** Samples a Check takes at most, looking for the drawn stall (see measuredTruth). */
const SAMPLE_TRIES = 5;
/** Share of the sample in which some task stalled on the drawn resource, to count as present. */
export const MIN_STALL_SHARE = 0.2;

/** Where the next look goes once PSI has named the resource (the diagnosis lesson's branches). */
export const NEXT_TOOLS: Record<Resource, readonly string[]> = {
  cpu: ['top', 'perf top'],
  memory: ['/proc/vmstat', 'smaps_rollup'],
  io: ['iostat', '/proc/PID/io'],
};

export interface PsiDraw {
  resource: Resource;
  /** Which of the three jobs stalls. */
  job: (typeof JOBS)[number];
}

export function psiDraw(seed: string): PsiDraw {
  return {
    resource: drawFor(seed, 'psi-triage/resource').pick(RESOURCES),
    job: drawFor(seed, 'psi-triage/job').pick(JOBS),
  };
}

export interface PressureSample {
  /** Per resource: share of the sample in which at least one task stalled (0–1). */
  share: Record<Resource, number>;
  /** avg10 of the `some` line at the end of the sample, per resource. */
  avg10: Record<Resource, number>;
  seconds: number;
  evidence: Evidence[];
}

/**
 * Two readings of /proc/uptime and the three pressure files, SAMPLE_SECONDS apart, in one guest
 * command: the stall share is the growth of `some total` (µs) over the elapsed time.
 */
export function pressureSample(text: string): PressureSample {
  const [before, after] = text.split('--- after\n');
  if (!before || !after) throw new GraderError('the pressure sample is incomplete');
  const read = (part: string) => {
    const uptime = Number(/^([\d.]+) /.exec(part)?.[1]);
    const lines: Partial<Record<Resource, PressureLine>> = {};
    for (const r of RESOURCES) {
      const section = new RegExp(`--- ${r}\\n([^-]*)`).exec(part)?.[1] ?? '';
      const p = parsePressure(section).some;
      if (p) lines[r] = p;
    }
    return { uptime, lines };
  };
  const a = read(before);
  const b = read(after);
  const seconds = b.uptime - a.uptime;
  if (!(seconds > 0)) throw new GraderError('could not time the pressure sample (/proc/uptime)');
  const share = {} as Record<Resource, number>;
  const avg10 = {} as Record<Resource, number>;
  for (const r of RESOURCES) {
    const x = a.lines[r];
    const y = b.lines[r];
    if (!x || !y) throw new GraderError(`could not read /proc/pressure/${r}`);
    share[r] = Math.min(1, Math.max(0, (y.total - x.total) / (seconds * 1e6)));
    avg10[r] = y.avg10;
  }
  return {
    share,
    avg10,
    seconds,
    evidence: [
      {
        source: `/proc/pressure/{cpu,memory,io}, read twice ${seconds.toFixed(2)} s apart by the grader`,
        lines: RESOURCES.map(
          (r) =>
            `${r.padEnd(6)} some: stalled ${(share[r] * 100).toFixed(0)} % of the sample (total +${Math.round(((b.lines[r]?.total ?? 0) - (a.lines[r]?.total ?? 0)) / 1000)} ms), avg10=${avg10[r].toFixed(2)}`,
        ),
      },
    ],
  };
}

const READ_PRESSURE = 'for r in cpu memory io; do echo "--- $r"; /bin/cat /proc/pressure/$r; done';
/** The grader's sample as one root shell command; pressureSample parses its output. */
export const PRESSURE_SCRIPT = `/bin/cat /proc/uptime; ${READ_PRESSURE}; /bin/sleep ${SAMPLE_SECONDS}; echo '--- after'; /bin/cat /proc/uptime; ${READ_PRESSURE}`;

async function samplePressure(exec: GuestExec): Promise<PressureSample> {
  const r = expectOk('pressure sample', await exec(['/bin/sh', '-c', PRESSURE_SCRIPT]));
  return pressureSample(r.stdout);
}

/** The stalling job the lab started is still there (pid recorded root-only, really jobd). */
async function stallingJobAlive(exec: GuestExec, job: string): Promise<boolean> {
  const rec = await exec(['/bin/cat', PID_FILE]);
  const pid = rec.stdout
    .split('\n')
    .map((l) => l.split(' '))
    .find(([name]) => name === job)?.[1];
  if (rec.exitCode !== 0 || !pid || !/^\d+$/.test(pid)) return false;
  const exe = await exec(['/bin/readlink', `/proc/${pid}/exe`]);
  return exe.exitCode === 0 && exe.stdout.trim() === JOBD;
}

/** Shared by both tasks: the drawn stall must be present, measured now. */
async function measuredTruth(ctx: CheckContext): Promise<{ truth: Resource; sample: PressureSample } | Verdict> {
  const { resource, job } = psiDraw(ctx.seed);
  // A memory stall comes in bursts: memory.high throttles the job for up to a couple of seconds,
  // then cpu.max holds it runnable for a while. One half-second sample can fall between bursts,
  // so the grader looks again, up to SAMPLE_TRIES times, before it says the stall is gone.
  let sample = await samplePressure(ctx.exec);
  for (let i = 1; i < SAMPLE_TRIES && sample.share[resource] < MIN_STALL_SHARE; i++) sample = await samplePressure(ctx.exec);
  if (!(await stallingJobAlive(ctx.exec, job)) || sample.share[resource] < MIN_STALL_SHARE)
    return {
      passed: false,
      reason:
        'The stall this lab started is not there any more (one of its jobs was stopped?), so no answer can be confirmed. Restart the lab to get it back.',
      evidence: sample.evidence,
    };
  return { truth: resource, sample };
}

async function checkResource(ctx: CheckContext): Promise<Verdict> {
  const m = await measuredTruth(ctx);
  if (!('truth' in m)) return m;
  const answer = (ctx.answer ?? '').toLowerCase();
  const { truth, sample } = m;
  if (!RESOURCES.includes(answer as Resource))
    return { passed: false, reason: `Answer with one of ${RESOURCES.join(', ')}.`, evidence: sample.evidence };
  if (answer !== truth)
    return {
      passed: false,
      reason: `In the grader's own sample, ${answer} stalled ${(sample.share[answer as Resource] * 100).toFixed(0)} % of the time and ${truth} ${(sample.share[truth] * 100).toFixed(0)} %. Read all three pressure files, and compare the total fields between two reads.`,
      evidence: sample.evidence,
    };
  return {
    passed: true,
    reason: `Right: tasks stalled on ${truth} ${(sample.share[truth] * 100).toFixed(0)} % of the grader's sample.`,
    evidence: sample.evidence,
  };
}

async function checkNextTool(ctx: CheckContext): Promise<Verdict> {
  const m = await measuredTruth(ctx);
  if (!('truth' in m)) return m;
  const answer = ctx.answer ?? '';
  const { truth, sample } = m;
  const owner = RESOURCES.find((r) => NEXT_TOOLS[r].includes(answer));
  if (!owner)
    return {
      passed: false,
      reason: `Answer with one of ${RESOURCES.flatMap((r) => NEXT_TOOLS[r]).join(', ')}.`,
      evidence: sample.evidence,
    };
  if (owner !== truth)
    return {
      passed: false,
      reason: `${answer} looks at ${owner}, but the stall the grader measured is on ${truth} (${(sample.share[truth] * 100).toFixed(0)} % of its sample).`,
      evidence: sample.evidence,
    };
  return {
    passed: true,
    reason: `Right: with ${truth} stalled, ${answer} is where to look next.`,
    evidence: sample.evidence,
  };
}

export const psiTriage: LabGrader = {
  labId: 'psi-triage',
  tasks: [
    { id: 'resource', answer: { prompt: 'Which resource is stalled?', pattern: '^[a-z]{1,8}$' }, check: checkResource },
    { id: 'next-tool', answer: { prompt: 'What do you look at next?', pattern: '^[a-zA-Z/_ ]{1,24}$' }, check: checkNextTool },
  ],
  drawnAnswers(seed) {
    const { resource } = psiDraw(seed);
    const wrong = RESOURCES.find((r) => r !== resource) as Resource;
    return {
      resource: { truth: resource, wrong },
      'next-tool': { truth: NEXT_TOOLS[resource][0] as string, wrong: NEXT_TOOLS[wrong][0] as string },
    };
  },
  async prepareSession({ seed, exec }) {
    const { resource, job } = psiDraw(seed);
    // Every job's cgroup gets the same limits, so reading them says nothing; only the stalling
    // job does something the limits bite on.
    const script = [
      'set -e',
      `D=${CGROUP_ROOT}`,
      '/bin/mkdir -p "$D" /run/kmap && /bin/chmod 700 /run/kmap',
      'echo "+cpu +memory +io" > "$D/cgroup.subtree_control"',
      'dev=$(/bin/cat /sys/block/vda/dev)',
      ': > /run/kmap/jobd.pids',
      `for j in ${JOBS.join(' ')}; do`,
      '  /bin/mkdir -p "$D/$j"',
      '  echo "10000 100000" > "$D/$j/cpu.max"',
      '  echo 8M > "$D/$j/memory.high"',
      '  echo "$dev rbps=262144 wbps=262144" > "$D/$j/io.max"',
      `  if [ "$j" = "${job}" ]; then mode=${resource}; else mode=idle; fi`,
      `  pid=$(echo "$mode $D/$j 1000" | ${JOBD})`,
      '  echo "$j $pid" >> /run/kmap/jobd.pids',
      'done',
    ].join('\n');
    expectOk('start the jobs', await exec(['/bin/sh', '-c', script], { timeoutMs: 30_000 }));
  },
};

import { type CheckContext, type Evidence, expectOk, GraderError, type GuestExec, type LabGrader, type Verdict } from '../check';
import { parsePressure } from '../parse';
import { drawFor } from '../seed';

/**
 * A slow service (labs/slow-service), the synthesis lab. One service, `slowd`, runs as the learner
 * in its own cgroup (lab/svc) with tight limits; each request costs some CPU, some fresh memory
 * and some O_DIRECT reads, set by three knobs in the learner's /home/student/slowd.conf. The
 * session draws which knob is set too high, so the service stalls on that resource. The learner
 * follows the diagnostic tree — PSI names the resource, that resource's own tool names the cost —
 * and fixes the config. The grader measures the stall itself, in the service's cgroup: once when
 * the session starts (the baseline, kept root-only in /run/kmap) and again at Check time.
 */

export const SLOWD = '/opt/labs/slow-service/slowd';
export const RESOURCES = ['cpu', 'memory', 'io'] as const;
export type Resource = (typeof RESOURCES)[number];
/** The knob whose cost lands on each resource. */
export const KNOBS: Record<Resource, string> = { cpu: 'hash_rounds', memory: 'scratch_mb', io: 'read_kb' };
/** A sane config: a request costs a few ms of CPU (most of it the scratch buffer's page faults under TCG), 2 MiB, 4 KiB. */
// The cheapest values slowd accepts: sane costs must stay far under the cgroup's limits even when
// TCG runs slowly on a busy host (2000 rounds + 2 MiB reached 40 % CPU stall with 3 VMs on 2 cores).
export const GOOD_CONF: Record<string, number> = { hash_rounds: 1000, scratch_mb: 1, read_kb: 4 };
/** The drawn knob's value: far past what the cgroup's limits allow at ten requests a second. */
export const BAD_VALUES: Record<Resource, number> = { cpu: 5_000_000, memory: 24, io: 1024 };
const CGROUP = '/sys/fs/cgroup/lab/svc';
const CONF = '/home/student/slowd.conf';
const STATE_DIR = '/run/kmap';
const PID_FILE = `${STATE_DIR}/slowd.pid`;
const BASE_FILE = `${STATE_DIR}/slowd.base`;
/** The grader's sample, seconds. */
const SAMPLE_SECONDS = 1;
/** Share of the sample stalled on the drawn resource: at least this at session start (the fault is there)… */
export const MIN_BASE_SHARE = 0.3;
/** …and below this after the fix. */
export const MAX_FIXED_SHARE = 0.25;
/** The service still serves requests: voluntary context switches per second (one per request's sleep at least). */
export const MIN_SWITCHES_PER_SECOND = 4;

export function slowDraw(seed: string): { cause: Resource } {
  return { cause: drawFor(seed, 'slow-service/cause').pick(RESOURCES) };
}

export function initialConf(cause: Resource): string {
  const lines = ['# slowd: what one request costs (re-read before every request)'];
  for (const r of RESOURCES) {
    const knob = KNOBS[r];
    lines.push(`${knob}=${r === cause ? BAD_VALUES[r] : GOOD_CONF[knob]}`);
  }
  return `${lines.join('\n')}\n`;
}

export interface ServiceSample {
  seconds: number;
  /** Per resource: share of the sample in which some task of the service's cgroup stalled (0–1). */
  share: Record<Resource, number>;
  /** Voluntary context switches of the service over the sample, or null when it is gone. */
  switches: number | null;
  /** The service's state letter at the end of the sample (R, S, D, T…), or null. */
  state: string | null;
}

/** One reading: /proc/uptime, the cgroup's three pressure files, the service's status. */
const readOnce = (pid: string) =>
  [
    '/bin/cat /proc/uptime',
    `for r in ${RESOURCES.join(' ')}; do echo "--- $r"; /bin/cat ${CGROUP}/$r.pressure; done`,
    `echo '--- status'; /bin/cat /proc/${pid}/status 2>/dev/null`,
  ].join('; ');

/** The grader's sample as one root shell command, for the service's recorded pid. */
export function sampleScript(pid: string): string {
  if (!/^\d+$/.test(pid)) throw new GraderError(`not a pid: ${pid}`);
  return `${readOnce(pid)}; echo '--- end'; /bin/sleep ${SAMPLE_SECONDS}; echo '--- after'; ${readOnce(pid)}; echo '--- end'`;
}

export function parseServiceSample(text: string): ServiceSample {
  const [before, after] = text.split('--- after\n');
  if (!before || !after) throw new GraderError('the service sample is incomplete');
  const read = (part: string) => {
    const uptime = Number(/^([\d.]+) /.exec(part)?.[1]);
    const some: Partial<Record<Resource, number>> = {};
    for (const r of RESOURCES) {
      const section = new RegExp(`--- ${r}\\n([\\s\\S]*?)--- `).exec(part)?.[1] ?? '';
      const line = parsePressure(section).some;
      if (line) some[r] = line.total;
    }
    const status = /--- status\n([\s\S]*?)--- end/.exec(part)?.[1] ?? '';
    const switches = /^voluntary_ctxt_switches:\s+(\d+)$/m.exec(status)?.[1];
    const state = /^State:\s+([A-Za-z])/m.exec(status)?.[1] ?? null;
    return { uptime, some, switches: switches === undefined ? null : Number(switches), state };
  };
  const a = read(before);
  const b = read(after);
  const seconds = b.uptime - a.uptime;
  if (!(seconds > 0)) throw new GraderError('could not time the service sample (/proc/uptime)');
  const share = {} as Record<Resource, number>;
  for (const r of RESOURCES) {
    const x = a.some[r];
    const y = b.some[r];
    if (x === undefined || y === undefined) throw new GraderError(`could not read ${CGROUP}/${r}.pressure`);
    share[r] = Math.min(1, Math.max(0, (y - x) / (seconds * 1e6)));
  }
  return {
    seconds,
    share,
    switches: a.switches !== null && b.switches !== null ? b.switches - a.switches : null,
    state: b.state,
  };
}

const shareLine = (s: ServiceSample) => RESOURCES.map((r) => `${r} ${(s.share[r] * 100).toFixed(0)} %`).join(', ');

function sampleEvidence(s: ServiceSample, when: string): Evidence {
  return {
    source: `${CGROUP}/{cpu,memory,io}.pressure and /proc/PID/status, read twice ${s.seconds.toFixed(2)} s apart by the grader ${when}`,
    lines: [
      `stalled (some): ${shareLine(s)}`,
      s.switches === null
        ? 'the service process is gone'
        : `service: state ${s.state}, ${s.switches} voluntary context switches in the sample`,
    ],
  };
}

async function sampleService(exec: GuestExec, pid: string): Promise<ServiceSample> {
  const r = expectOk('service sample', await exec(['/bin/sh', '-c', sampleScript(pid)], { timeoutMs: 15_000 }));
  return parseServiceSample(r.stdout);
}

/** The baseline the session recorded (root-only), or null when it is missing. */
async function baseline(exec: GuestExec): Promise<ServiceSample | null> {
  const r = await exec(['/bin/cat', BASE_FILE]);
  if (r.exitCode !== 0) return null;
  try {
    return parseServiceSample(r.stdout);
  } catch {
    return null;
  }
}

/** The service the lab started: its recorded pid, still the real slowd, still in the lab's cgroup. */
async function service(exec: GuestExec): Promise<{ pid: string } | { problem: string }> {
  const rec = await exec(['/bin/cat', PID_FILE]);
  const pid = rec.stdout.trim();
  if (rec.exitCode !== 0 || !/^\d+$/.test(pid)) return { problem: 'the session has no record of the service (restart the lab)' };
  const exe = await exec(['/bin/readlink', `/proc/${pid}/exe`]);
  if (exe.exitCode !== 0 || exe.stdout.trim() !== SLOWD)
    return { problem: `the service the lab started (pid ${pid}) is not running any more; a fix keeps it serving (restart the lab)` };
  const cg = await exec(['/bin/cat', `/proc/${pid}/cgroup`]);
  if (cg.stdout.trim() !== '0::/lab/svc') return { problem: `the service left its cgroup (${cg.stdout.trim() || 'unknown'})` };
  return { pid };
}

async function checkResource(ctx: CheckContext): Promise<Verdict> {
  const { cause } = slowDraw(ctx.seed);
  const base = await baseline(ctx.exec);
  const evidence = base ? [sampleEvidence(base, 'when the session started')] : [];
  const answer = (ctx.answer ?? '').toLowerCase();
  if (!RESOURCES.includes(answer as Resource)) return { passed: false, reason: `Answer with one of ${RESOURCES.join(', ')}.`, evidence };
  if (!base || base.share[cause] < MIN_BASE_SHARE)
    return {
      passed: false,
      reason: 'The grader has no measured stall from the start of this session, so no answer can be confirmed. Restart the lab.',
      evidence,
    };
  if (answer !== cause)
    return {
      passed: false,
      reason: `When the session started, the service's cgroup stalled on ${answer} ${(base.share[answer as Resource] * 100).toFixed(0)} % of the time and on ${cause} ${(base.share[cause] * 100).toFixed(0)} %. Read the cgroup's pressure files (or /proc/pressure/*) twice and compare the totals.`,
      evidence,
    };
  return {
    passed: true,
    reason: `Right: the service stalled on ${cause} ${(base.share[cause] * 100).toFixed(0)} % of the grader's sample at the start.`,
    evidence,
  };
}

async function checkKnob(ctx: CheckContext): Promise<Verdict> {
  const { cause } = slowDraw(ctx.seed);
  const knobs = RESOURCES.map((r) => KNOBS[r]);
  const answer = ctx.answer ?? '';
  if (!knobs.includes(answer)) return { passed: false, reason: `Answer with one of ${knobs.join(', ')}.`, evidence: [] };
  const owner = RESOURCES.find((r) => KNOBS[r] === answer) as Resource;
  const base = await baseline(ctx.exec);
  const evidence = base ? [sampleEvidence(base, 'when the session started')] : [];
  if (owner !== cause)
    return {
      passed: false,
      reason: `${answer} is what a request costs in ${owner}; the stall this session started with is on ${cause}.`,
      evidence,
    };
  return { passed: true, reason: `Right: ${answer} is the cost that the cgroup's ${cause} limit turns into a stall.`, evidence };
}

async function checkFix(ctx: CheckContext): Promise<Verdict> {
  const { cause } = slowDraw(ctx.seed);
  const base = await baseline(ctx.exec);
  const evidence: Evidence[] = base ? [sampleEvidence(base, 'when the session started')] : [];
  if (!base || base.share[cause] < MIN_BASE_SHARE)
    return {
      passed: false,
      reason: 'The grader has no measured stall from the start of this session to compare with. Restart the lab.',
      evidence,
    };
  const svc = await service(ctx.exec);
  if ('problem' in svc) return { passed: false, reason: `Not fixed: ${svc.problem}.`, evidence };
  const now = await sampleService(ctx.exec, svc.pid);
  evidence.push(sampleEvidence(now, 'at Check time'));
  const before = `${(base.share[cause] * 100).toFixed(0)} %`;
  const after = `${(now.share[cause] * 100).toFixed(0)} %`;
  // Any resource counts: a fix that moves the stall elsewhere leaves the service as slow.
  const stalled = RESOURCES.filter((r) => now.share[r] >= MAX_FIXED_SHARE);
  if (stalled.length > 0)
    return {
      passed: false,
      reason: stalled.includes(cause)
        ? `The service still stalls on ${cause} ${after} of the grader's sample (was ${before}; fixed means under ${MAX_FIXED_SHARE * 100} % on every resource). Change the cost that lands on ${cause}; slowd re-reads its config before every request.`
        : `The ${cause} stall is down to ${after} (was ${before}), but now the service stalls on ${stalled.map((r) => `${r} ${(now.share[r] * 100).toFixed(0)} %`).join(', ')}: a fix that moves the stall elsewhere leaves it as slow.`,
      evidence,
    };
  if (now.switches === null || now.state === null || 'TtZX'.includes(now.state) || now.switches < MIN_SWITCHES_PER_SECOND * now.seconds)
    return {
      passed: false,
      reason: `No stall now (${cause} ${after}, was ${before}), but the service is not serving requests (state ${now.state ?? 'gone'}, ${now.switches ?? 0} context switches in ${now.seconds.toFixed(1)} s): a stopped service is not a fixed one.`,
      evidence,
    };
  return {
    passed: true,
    reason: `Fixed: the ${cause} stall went from ${before} to ${after} of the grader's sample, nothing else stalls, and the service keeps serving (${now.switches} context switches in ${now.seconds.toFixed(1)} s).`,
    evidence,
  };
}

export const slowService: LabGrader = {
  labId: 'slow-service',
  tasks: [
    { id: 'resource', answer: { prompt: 'Which resource does the service stall on?', pattern: '^[a-z]{1,8}$' }, check: checkResource },
    { id: 'knob', answer: { prompt: 'Which config knob causes it?', pattern: '^[a-z_]{1,16}$' }, check: checkKnob },
    { id: 'fix', check: checkFix },
  ],
  drawnAnswers(seed) {
    const { cause } = slowDraw(seed);
    const wrong = RESOURCES.find((r) => r !== cause) as Resource;
    return {
      resource: { truth: cause, wrong },
      knob: { truth: KNOBS[cause], wrong: KNOBS[wrong] },
    };
  },
  async prepareSession({ seed, exec }) {
    const { cause } = slowDraw(seed);
    const script = [
      'set -e',
      `D=${CGROUP}`,
      `/bin/mkdir -p "$D" ${STATE_DIR} && /bin/chmod 700 ${STATE_DIR}`,
      'echo "20000 100000" > "$D/cpu.max"',
      'echo 8M > "$D/memory.high"',
      'echo "$(/bin/cat /sys/block/vda/dev) rbps=262144 wbps=262144" > "$D/io.max"',
      `/bin/cat > ${CONF} <<'EOF'\n${initialConf(cause)}EOF`,
      `/bin/chown 1000:1000 ${CONF}`,
      `pid=$(echo "$D 1000 ${CONF}" | ${SLOWD})`,
      `echo "$pid" > ${PID_FILE}`,
      // Let the stall build up, then record the baseline the fix is measured against.
      '/bin/sleep 1',
      `{ ${sampleScript('0').replaceAll('/proc/0/', '/proc/$pid/')} ; } > ${BASE_FILE}`,
    ].join('\n');
    expectOk('start the service', await exec(['/bin/sh', '-c', script], { timeoutMs: 30_000 }));
  },
};

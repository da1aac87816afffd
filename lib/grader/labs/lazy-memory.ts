import { type CheckContext, type Evidence, expectOk, GraderError, type GuestExec, type LabGrader, type Verdict } from '../check';
import { parseProcKeyValues, parseSmapsRollup, parseTaskStat, procKb } from '../parse';
import { drawFor } from '../seed';

/**
 * Lazy memory (labs/lazy-memory). imgcache reserves a large anonymous arena, writes to part of it,
 * maps an 8 MiB index file from the lab disk and reads part of that — sizes drawn per session.
 * The learner reads its VSZ, RSS, minor faults and file-backed share from /proc; each answer is
 * compared with what the grader reads from /proc/PID/status, /proc/PID/stat and
 * /proc/PID/smaps_rollup of the service the lab started, at Check time.
 */

export const IMGCACHE = '/opt/labs/lazy-memory/imgcache';
export const INDEX_FILE = '/mnt/lab/tiles.idx';
export const INDEX_MIB = 8;
const STATE_DIR = '/run/kmap';
const PID_FILE = `${STATE_DIR}/imgcache.pid`;

/** Below the guest's MemTotal (~206 MiB on x86_64): the kernel's overcommit heuristic refuses a single
 * mapping larger than RAM + swap. */
const ARENA_MIB = [64, 80, 96, 112, 128, 144, 160, 176] as const;
const TOUCH_MIB = [12, 16, 20, 24, 28, 32, 36] as const;
const READ_MIB = [2, 3, 4, 5, 6] as const;

/** How far an answer may be from the measured value (MiB, or faults). */
export const TOLERANCE = {
  vszMib: 2,
  rssMib: 2,
  /** Of the measured count, and at least 100 faults. */
  faultsShare: 0.05,
  fileMib: 1,
} as const;

export interface LazyParams {
  arenaMib: number;
  touchMib: number;
  readMib: number;
}

/** This session's imgcache: how much it maps, writes and reads. */
export function lazyParams(seed: string): LazyParams {
  const d = drawFor(seed, 'lazy-memory/sizes');
  return { arenaMib: d.pick(ARENA_MIB), touchMib: d.pick(TOUCH_MIB), readMib: d.pick(READ_MIB) };
}

/**
 * What the service should show for these sizes (the harness's `$truth`; checks compare with the
 * measurement instead). The static binary adds ~1 MiB to VSZ and ~0.3 MiB of resident text;
 * reads of the cached index fault 16 pages at a time (fault-around), and start-up takes ~40 faults.
 */
export function expectedFigures(p: LazyParams): { vszMib: number; rssMib: number; faults: number; fileMib: number } {
  return {
    vszMib: p.arenaMib + INDEX_MIB + 1,
    rssMib: p.touchMib + p.readMib,
    faults: p.touchMib * 256 + p.readMib * 16 + 40,
    fileMib: p.readMib,
  };
}

export interface Measured {
  pid: string;
  vszKb: number;
  rssKb: number;
  minflt: number;
  majflt: number;
  rollupRssKb: number;
  anonymousKb: number;
  evidence: Evidence[];
}

const mib = (kb: number) => (kb / 1024).toFixed(1);

/** Reads the service's /proc files as root; null when the service the lab started is gone. */
export async function measureImgcache(exec: GuestExec): Promise<Measured | null> {
  const rec = await exec(['/bin/cat', PID_FILE]);
  const pid = rec.stdout.trim();
  if (rec.exitCode !== 0 || !/^\d+$/.test(pid)) return null;
  const exe = await exec(['/bin/readlink', `/proc/${pid}/exe`]);
  if (exe.exitCode !== 0 || exe.stdout.trim() !== IMGCACHE) return null;
  const status = expectOk('cat status', await exec(['/bin/cat', `/proc/${pid}/status`])).stdout;
  const statLine = expectOk('cat stat', await exec(['/bin/cat', `/proc/${pid}/stat`])).stdout;
  const rollupText = expectOk('cat smaps_rollup', await exec(['/bin/cat', `/proc/${pid}/smaps_rollup`])).stdout;
  const fields = parseProcKeyValues(status);
  const stat = parseTaskStat(statLine.trim());
  const rollup = parseSmapsRollup(rollupText);
  const vszKb = procKb(fields, 'VmSize');
  const rssKb = procKb(fields, 'VmRSS');
  const rollupRssKb = rollup.get('Rss');
  const anonymousKb = rollup.get('Anonymous');
  if (vszKb === null || rssKb === null || !stat || rollupRssKb === undefined || anonymousKb === undefined)
    throw new GraderError(`could not read imgcache's /proc files (pid ${pid})`);
  const pick = (keys: string[]) => status.split('\n').filter((l) => keys.some((k) => l.startsWith(`${k}:`)));
  return {
    pid,
    vszKb,
    rssKb,
    minflt: stat.minflt,
    majflt: stat.majflt,
    rollupRssKb,
    anonymousKb,
    evidence: [
      {
        source: `/proc/${pid}/status`,
        lines: pick(['VmSize', 'VmRSS', 'RssAnon', 'RssFile', 'RssShmem']).map((l) => l.replace(/\t/g, ' ')),
      },
      { source: `/proc/${pid}/stat (fields 10 and 12)`, lines: [`minflt ${stat.minflt}`, `majflt ${stat.majflt}`] },
      {
        source: `/proc/${pid}/smaps_rollup`,
        lines: rollupText.split('\n').filter((l) => /^(Rss|Anonymous|Pss_Anon|Pss_File|Pss_Shmem):/.test(l)),
      },
    ],
  };
}

/** "169", "169.5", "169 MiB", "169M" → 169.5; null when it is not a number. */
export function parseMib(answer: string): number | null {
  const m = /^(\d+(?:\.\d+)?)\s*(?:mib|mb|m)?$/i.exec(answer.trim());
  return m?.[1] ? Number(m[1]) : null;
}

function parseCount(answer: string): number | null {
  const t = answer.trim().replace(/[,_ ]/g, '');
  return /^\d+$/.test(t) ? Number(t) : null;
}

const GONE: Verdict = {
  passed: false,
  reason: 'The imgcache this lab started is no longer running, so there is nothing to measure. Restart the lab to get it back.',
  evidence: [{ source: PID_FILE, lines: ['(missing, or its process is gone)'] }],
};

/** The one service of this session: same pid as started, and the arena size the seed drew. */
async function sessionService(ctx: CheckContext): Promise<Measured | Verdict> {
  const m = await measureImgcache(ctx.exec);
  if (!m) return GONE;
  const expected = expectedFigures(lazyParams(ctx.seed)).vszMib;
  if (Math.abs(m.vszKb / 1024 - expected) > 3)
    return {
      passed: false,
      reason: `imgcache (pid ${m.pid}) maps ${mib(m.vszKb)} MiB, not what this session started. Restart the lab.`,
      evidence: m.evidence,
    };
  return m;
}

function compare(
  what: string,
  answer: number | null,
  measured: number,
  tolerance: number,
  unit: string,
  evidence: Evidence[],
  hint: string,
): Verdict {
  const shown = unit === 'MiB' ? `${measured.toFixed(1)} MiB` : `${measured}`;
  if (answer === null)
    return { passed: false, reason: `Answer with a number${unit === 'MiB' ? ' of MiB, e.g. 42' : ', e.g. 1234'}.`, evidence };
  if (Math.abs(answer - measured) > tolerance)
    return {
      passed: false,
      reason: `You answered ${answer}; the grader read ${what} = ${shown} just now (within ±${unit === 'MiB' ? tolerance : Math.round(tolerance)} passes). ${hint}`,
      evidence,
    };
  return { passed: true, reason: `Right: ${what} is ${shown}.`, evidence };
}

async function checkVsz(ctx: CheckContext): Promise<Verdict> {
  const m = await sessionService(ctx);
  if (!('pid' in m)) return m;
  return compare(
    'VmSize',
    parseMib(ctx.answer ?? ''),
    m.vszKb / 1024,
    TOLERANCE.vszMib,
    'MiB',
    m.evidence,
    'VSZ counts every mapped byte, touched or not.',
  );
}

async function checkRss(ctx: CheckContext): Promise<Verdict> {
  const m = await sessionService(ctx);
  if (!('pid' in m)) return m;
  return compare(
    'VmRSS',
    parseMib(ctx.answer ?? ''),
    m.rssKb / 1024,
    TOLERANCE.rssMib,
    'MiB',
    m.evidence,
    'RSS counts only pages that are really in RAM and mapped by this process.',
  );
}

async function checkFaults(ctx: CheckContext): Promise<Verdict> {
  const m = await sessionService(ctx);
  if (!('pid' in m)) return m;
  return compare(
    'minflt (minor faults)',
    parseCount(ctx.answer ?? ''),
    m.minflt,
    Math.max(100, m.minflt * TOLERANCE.faultsShare),
    'faults',
    m.evidence,
    'Field 10 of /proc/PID/stat counts every minor fault the process took since it started.',
  );
}

async function checkFileBacked(ctx: CheckContext): Promise<Verdict> {
  const m = await sessionService(ctx);
  if (!('pid' in m)) return m;
  const fileKb = m.rollupRssKb - m.anonymousKb;
  const v = compare(
    'Rss − Anonymous in smaps_rollup',
    parseMib(ctx.answer ?? ''),
    fileKb / 1024,
    TOLERANCE.fileMib,
    'MiB',
    m.evidence,
    'Subtract the Anonymous line of smaps_rollup from its Rss line.',
  );
  return v;
}

export const lazyMemory: LabGrader = {
  labId: 'lazy-memory',
  tasks: [
    { id: 'vsz', answer: { prompt: 'VSZ in MiB', pattern: '^[0-9. a-zA-Z]{1,16}$' }, check: checkVsz },
    { id: 'rss', answer: { prompt: 'RSS in MiB', pattern: '^[0-9. a-zA-Z]{1,16}$' }, check: checkRss },
    { id: 'faults', answer: { prompt: 'Minor page faults', pattern: '^[0-9,_ ]{1,16}$' }, check: checkFaults },
    { id: 'file-backed', answer: { prompt: 'File-backed MiB', pattern: '^[0-9. a-zA-Z]{1,16}$' }, check: checkFileBacked },
  ],
  drawnAnswers(seed) {
    const truth = expectedFigures(lazyParams(seed));
    // Another session's figures, taken far enough from this session's that no tolerance covers both.
    const other = (key: keyof typeof truth, apart: number): number => {
      for (let i = 0; i < 64; i++) {
        const v = expectedFigures(lazyParams(`${seed}/other-${i}`))[key];
        if (Math.abs(v - truth[key]) >= apart) return v;
      }
      return truth[key] + apart * 2;
    };
    return {
      vsz: { truth: String(truth.vszMib), wrong: String(other('vszMib', 8)) },
      rss: { truth: String(truth.rssMib), wrong: String(other('rssMib', 5)) },
      faults: { truth: String(truth.faults), wrong: String(other('faults', 1000)) },
      'file-backed': { truth: String(truth.fileMib), wrong: String(other('fileMib', 2)) },
    };
  },
  async prepareSession({ seed, exec }) {
    const p = lazyParams(seed);
    const started = expectOk(
      'start imgcache',
      await exec([IMGCACHE], { user: 'student', stdin: `${p.arenaMib} ${p.touchMib} ${INDEX_FILE} ${p.readMib}\n`, timeoutMs: 30_000 }),
    );
    const pid = started.stdout.trim();
    if (!/^\d+$/.test(pid)) throw new GraderError(`imgcache did not start: ${started.stdout}`);
    expectOk(
      'record imgcache',
      await exec(['/bin/sh', '-c', `/bin/mkdir -p -m 700 ${STATE_DIR} && printf '%s\\n' "$1" > ${PID_FILE}`, 'sh', pid]),
    );
  },
};

import { type CheckContext, type Evidence, expectOk, GraderError, type LabGrader, type Verdict } from '../check';
import { parsePerfStat, perfCounter } from '../parse';
import { perfStat, voidedNote } from '../perf-stat';

/**
 * io_uring batching (labs/io-uring-batching). ringread reads a file in 4 KiB blocks, one read(2)
 * each. Its config can move the reads onto an io_uring and choose how many go into each
 * io_uring_enter(2). The grader writes a fresh random file, runs ringread itself with the
 * learner's config under `perf stat`, counting in the kernel the io_uring_enter and read-family
 * syscalls and the io_uring completions (io_uring:io_uring_complete), and compares what ringread
 * wrote out with the input byte for byte (sha256 of both, computed as root).
 */

export const RINGREAD = '/opt/labs/io-uring-batching/ringread';
export const BLOCKS = 256;
/** At most one io_uring_enter per 16 reads (batch ≥ 16). Untouched: 0 enters and 256 read(2). */
export const MAX_ENTERS = BLOCKS / 16;
/** read(2)s left over: stdio reading the config (two or three) — far below one per block. */
export const MAX_READS = 8;

const EVENTS = [
  'syscalls:sys_enter_io_uring_enter',
  'syscalls:sys_enter_read',
  'syscalls:sys_enter_pread64',
  'syscalls:sys_enter_readv',
  'syscalls:sys_enter_preadv',
  'io_uring:io_uring_complete',
] as const;

export interface RingCounts {
  enters: number;
  reads: number;
  completions: number;
}

/** The counters the grader decides on, from `perf stat -x,` output; throws when one is missing. */
export function ringCounts(perfStderr: string): RingCounts {
  const stat = parsePerfStat(perfStderr);
  const get = (e: (typeof EVENTS)[number]) => {
    const v = perfCounter(stat, e);
    if (v === null) throw new GraderError(`perf stat did not count ${e}: ${perfStderr.slice(-300)}`);
    return v;
  };
  return {
    enters: get('syscalls:sys_enter_io_uring_enter'),
    reads:
      get('syscalls:sys_enter_read') +
      get('syscalls:sys_enter_pread64') +
      get('syscalls:sys_enter_readv') +
      get('syscalls:sys_enter_preadv'),
    completions: get('io_uring:io_uring_complete'),
  };
}

/** `sha256sum A B` output → the two digests, in order. */
export function parseSha256sum(text: string): string[] {
  return text
    .split('\n')
    .map((l) => /^([0-9a-f]{64})\s/.exec(l)?.[1])
    .filter((d): d is string => d !== undefined);
}

async function batchTheReads(ctx: CheckContext): Promise<Verdict> {
  const n = ctx.nonce();
  const input = `/tmp/kmap-ring-${n}.in`;
  const output = `/tmp/kmap-ring-${n}.out`;
  try {
    expectOk(
      'writing the input file',
      await ctx.exec([
        '/bin/sh',
        '-c',
        `/bin/busybox dd if=/dev/urandom of=${input} bs=4096 count=${BLOCKS} 2>/dev/null && /bin/chmod 644 ${input}`,
      ]),
    );
    const run = await perfStat(ctx, {
      events: EVENTS,
      argv: [RINGREAD, '--file', input, '--out', output, '--config', '/home/student/ringread.conf'],
      // ringread creates its output exclusively: a void run's file goes before the next.
      beforeEach: async () => {
        await ctx.exec(['/bin/rm', '-f', output]);
      },
    });
    const r = run.out;
    const c = ringCounts(r.stderr);
    const own = r.stderr.split('\n').filter((l) => l.startsWith('ringread:') || l.startsWith('/home'));
    const evidence: Evidence[] = [
      {
        source: `perf stat -e syscalls:sys_enter_{io_uring_enter,read,pread64,readv,preadv},io_uring:io_uring_complete -- ringread (${BLOCKS} blocks of 4 KiB, ~/ringread.conf)`,
        lines: [
          `io_uring_enter: ${c.enters}`,
          `read-family syscalls: ${c.reads}`,
          `io_uring completions: ${c.completions}`,
          `${(c.enters / BLOCKS).toFixed(3)} io_uring_enter per block read`,
          ...own,
          ...voidedNote(run),
        ],
      },
    ];
    if (r.exitCode !== 0)
      return {
        passed: false,
        reason: `ringread exited ${r.exitCode} with your config: ${own.join(' ') || r.stderr.slice(-200)}`,
        evidence,
      };
    const sums = parseSha256sum(expectOk('sha256sum', await ctx.exec(['/bin/busybox', 'sha256sum', input, output])).stdout);
    const same = sums.length === 2 && sums[0] === sums[1];
    evidence.push({
      source: 'sha256sum of the input and of what ringread wrote (as root)',
      lines: [
        same
          ? `identical: ${sums[0]?.slice(0, 16)}…`
          : `input ${sums[0]?.slice(0, 16) ?? '?'}…, output ${sums[1]?.slice(0, 16) ?? 'missing'}…`,
      ],
    });
    if (!same)
      return { passed: false, reason: 'What ringread wrote is not the file it read: every block must complete, in place.', evidence };
    if (c.completions < BLOCKS)
      return {
        passed: false,
        reason: `${c.completions} io_uring completions for ${BLOCKS} blocks and ${c.reads} read-family syscalls: the reads do not go through the ring.`,
        evidence,
      };
    if (c.reads > MAX_READS)
      return {
        passed: false,
        reason: `${c.reads} read-family syscalls next to the ring: every block should be read through io_uring.`,
        evidence,
      };
    if (c.enters > MAX_ENTERS)
      return {
        passed: false,
        reason:
          c.enters >= BLOCKS
            ? `${c.enters} io_uring_enter calls for ${BLOCKS} reads: the ring saves nothing when every read pays its own crossing. Queue at least 16 reads per enter.`
            : `${c.enters} io_uring_enter calls for ${BLOCKS} reads: ${(BLOCKS / c.enters).toFixed(0)} reads per crossing, and the Check asks for at least 16.`,
        evidence,
      };
    return {
      passed: true,
      reason: `${BLOCKS} reads completed through io_uring with ${c.enters} io_uring_enter calls (${(BLOCKS / Math.max(1, c.enters)).toFixed(0)} per crossing), and the data is intact.`,
      evidence,
    };
  } finally {
    await ctx.exec(['/bin/rm', '-f', input, output]);
  }
}

export const ioUringBatching: LabGrader = {
  labId: 'io-uring-batching',
  tasks: [{ id: 'batch-reads', check: batchTheReads }],
};

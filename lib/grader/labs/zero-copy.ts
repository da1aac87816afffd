import { type CheckContext, type Evidence, expectOk, GraderError, graderPort, type LabGrader, type Verdict } from '../check';
import { parseStraceCalls } from '../parse';
import { shieldedExec } from '../shield';
import { parseSha256sum } from './io-uring-batching';

/**
 * Zero-copy (labs/zero-copy). filesrv serves a file to one TCP client; out of the box it read(2)s
 * each chunk into a buffer and write(2)s it to the socket, so every byte passes through the
 * process twice. Its config offers mmap, sendfile and splice. The grader writes a fresh random
 * file, runs filesrv with the learner's config under its own `strace -f` (every call that moves
 * bytes, with its return value), fetches the file with its own client, and compares the bytes.
 * Bytes through user space = what read/write-family calls returned; sendfile/splice move bytes
 * inside the kernel.
 */

export const FILESRV = '/opt/labs/zero-copy/filesrv';
export const FILE_BYTES = 1024 * 1024;
/** Bytes the server may move through its own memory: reading its config, nothing of the file. */
export const MAX_USER_BYTES = FILE_BYTES / 100;

/** Calls that copy between user memory and a file or socket. */
export const USER_COPY = [
  'read',
  'readv',
  'pread64',
  'preadv',
  'recvfrom',
  'recvmsg',
  'write',
  'writev',
  'pwrite64',
  'pwritev',
  'sendto',
  'sendmsg',
];
/** Calls that move bytes without them entering the process. */
export const IN_KERNEL = ['sendfile', 'sendfile64', 'splice', 'tee', 'copy_file_range'];

export interface ByteTally {
  /** Per syscall: calls and bytes returned. */
  calls: Map<string, { calls: number; bytes: number }>;
  userBytes: number;
  kernelBytes: number;
}

/** Sums the bytes each call returned (errors count as calls, not bytes). */
export function tallyBytes(straceText: string): ByteTally {
  const calls = new Map<string, { calls: number; bytes: number }>();
  let userBytes = 0;
  let kernelBytes = 0;
  for (const c of parseStraceCalls(straceText)) {
    if (!USER_COPY.includes(c.syscall) && !IN_KERNEL.includes(c.syscall)) continue;
    const bytes = /^\d+$/.test(c.result ?? '') ? Number(c.result) : 0;
    const t = calls.get(c.syscall) ?? { calls: 0, bytes: 0 };
    t.calls++;
    t.bytes += bytes;
    calls.set(c.syscall, t);
    if (USER_COPY.includes(c.syscall)) userBytes += bytes;
    else kernelBytes += bytes;
  }
  return { calls, userBytes, kernelBytes };
}

const TRACED = [...USER_COPY, 'sendfile', 'splice', 'tee', 'copy_file_range', 'mmap'].join(',');

/** The grader's run (as the learner): filesrv under strace serving `${base}.in`, the grader's client saving `${base}.out`. */
export function serveScript(base: string, port: number): string {
  return [
    `/bin/busybox env -i HOME=/ PATH=/usr/bin:/bin /usr/bin/strace -f -qq -o ${base}.trace -e trace=${TRACED} -- ${FILESRV} --file ${base}.in --port ${port} --config /home/student/filesrv.conf 2>${base}.err &`,
    's=$!',
    `${FILESRV} --fetch --port ${port} --out ${base}.out`,
    'wait $s; echo "server exit $?"',
  ].join('\n');
}

async function serveWithoutCopies(ctx: CheckContext): Promise<Verdict> {
  const n = ctx.nonce();
  const base = `/tmp/kmap-zc-${n}`;
  const port = graderPort(n);
  try {
    expectOk(
      'writing the file to serve',
      await ctx.exec([
        '/bin/sh',
        '-c',
        `/bin/busybox dd if=/dev/urandom of=${base}.in bs=65536 count=${FILE_BYTES / 65536} 2>/dev/null && /bin/chmod 644 ${base}.in`,
      ]),
    );
    // Server traced (as the learner, their config), the grader's own client fetching.
    const script = serveScript(base, port);
    const run = await shieldedExec(ctx.exec, n, ['/bin/sh', '-c', script], { user: 'student', timeoutMs: 90_000 });
    const trace = await ctx.exec(['/bin/cat', `${base}.trace`], { maxOutput: 4 * 1024 * 1024 });
    const err = await ctx.exec(['/bin/cat', `${base}.err`]);
    const serverExit = Number(/server exit (\d+)/.exec(run.stdout)?.[1] ?? -1);
    if (trace.exitCode !== 0) throw new GraderError(`strace left no trace (exit ${run.exitCode}): ${run.stderr.slice(-300)}`);
    const t = tallyBytes(trace.stdout);
    const own = err.stdout.split('\n').filter((l) => l.startsWith('filesrv:'));
    const evidence: Evidence[] = [
      {
        source: `strace -f -e trace=${TRACED} -- filesrv (${FILE_BYTES} bytes, ~/filesrv.conf), fetched by the grader's client`,
        lines: [
          ...[...t.calls].map(([s, v]) => `${s}: ${v.calls} calls, ${v.bytes} bytes`),
          `through user space: ${t.userBytes} bytes (${((t.userBytes / FILE_BYTES) * 100).toFixed(1)} % of the file); moved in the kernel: ${t.kernelBytes} bytes`,
          ...own,
        ],
      },
    ];
    if (serverExit !== 0)
      return {
        passed: false,
        reason: `filesrv exited ${serverExit} with your config: ${own.join(' ') || err.stdout.slice(-200)}`,
        evidence,
      };
    const sums = parseSha256sum(expectOk('sha256sum', await ctx.exec(['/bin/busybox', 'sha256sum', `${base}.in`, `${base}.out`])).stdout);
    const same = sums.length === 2 && sums[0] === sums[1];
    evidence.push({
      source: "sha256sum of the file and of what the grader's client received (as root)",
      lines: [
        same
          ? `identical: ${sums[0]?.slice(0, 16)}…`
          : `file ${sums[0]?.slice(0, 16) ?? '?'}…, received ${sums[1]?.slice(0, 16) ?? 'nothing'}…`,
        ...lastLine(run.stdout),
      ],
    });
    if (!same) return { passed: false, reason: 'The client did not receive the file byte for byte.', evidence };
    if (t.userBytes > MAX_USER_BYTES)
      return {
        passed: false,
        reason: `${t.userBytes} bytes went through filesrv's own memory by read/write-family calls (${((t.userBytes / FILE_BYTES) * 100).toFixed(0)} % of the file): each is a copy between user space and the kernel. Let the kernel move the file to the socket itself.`,
        evidence,
      };
    return {
      passed: true,
      reason: `The file reached the client intact with ${t.userBytes} bytes through user space; ${t.kernelBytes} bytes were moved inside the kernel.`,
      evidence,
    };
  } finally {
    await ctx.exec(['/bin/rm', '-f', `${base}.in`, `${base}.out`, `${base}.trace`, `${base}.err`]);
  }
}

function lastLine(text: string): string[] {
  return text.split('\n').filter((l) => l.startsWith('fetched'));
}

export const zeroCopy: LabGrader = {
  labId: 'zero-copy',
  tasks: [{ id: 'serve-zero-copy', check: serveWithoutCopies }],
};

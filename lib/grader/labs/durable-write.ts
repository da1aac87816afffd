import { type CheckContext, GraderError, type LabGrader, lastLines, type Verdict } from '../check';
import { parseStraceCalls, type StraceCall, splitStraceArgs, straceString } from '../parse';

/**
 * Make this write durable (labs/durable-write). The learner's ~/save.sh must replace
 * /mnt/lab/settings.conf with its first argument so that a power cut at any moment leaves either
 * the old or the new content — never nothing — and the new content once it returns.
 *
 * The grader copies save.sh (only the script: nothing else of the learner's VM) into a fresh
 * scratch VM with its own lab disk, runs it there as the lab user under strace with a value the
 * learner cannot have seen, cuts that VM's power the moment the script returns, and reads the
 * disk after journal replay as a reboot would. Durability is what the disk says; atomicity is
 * what the trace says (the live file must never be opened for writing or truncated: a cut between
 * the truncate and the write would leave it empty). The learner's own VM keeps running.
 */

export const TARGET = '/mnt/lab/settings.conf';
export const OLD_CONTENT = 'theme=light\nautosave=off\n';
const SCRIPT = '/home/student/save.sh';
const TRACE = '/root/save.trace';
const TRACED = 'open,openat,creat,truncate,ftruncate,write,fsync,fdatasync,sync,syncfs,rename,renameat,renameat2';

/** Paths a call names (decoded strace strings). */
function pathsOf(call: StraceCall): string[] {
  return splitStraceArgs(call.args)
    .map(straceString)
    .filter((s): s is string => s !== null);
}

const isTarget = (p: string) => p === TARGET || p === 'settings.conf' || p.endsWith('/settings.conf');

/** Calls that modify the live file in place: opened for writing, or truncated, by name. */
export function inPlaceWrites(calls: readonly StraceCall[]): StraceCall[] {
  return calls.filter((c) => {
    const paths = pathsOf(c);
    if (!paths.some(isTarget)) return false;
    if (c.syscall === 'truncate') return true;
    if (c.syscall === 'creat') return true;
    if (c.syscall === 'open' || c.syscall === 'openat') return /O_WRONLY|O_RDWR|O_TRUNC/.test(c.args);
    return false;
  });
}

/** The lines a learner needs to see: the calls on files under /mnt/lab and the syncs. */
function relevantLines(calls: readonly StraceCall[]): string[] {
  const fdPaths = new Map<string, string>();
  const lines: string[] = [];
  for (const c of calls) {
    const key = `${c.pid ?? 0}`;
    const paths = pathsOf(c);
    if ((c.syscall === 'open' || c.syscall === 'openat') && paths[0] && c.result && /^\d+$/.test(c.result))
      fdPaths.set(`${key}:${c.result}`, paths[0]);
    const onLab = paths.some((p) => p.startsWith('/mnt/lab') || !p.startsWith('/'));
    if (/^(fsync|fdatasync)$/.test(c.syscall)) {
      const fd = splitStraceArgs(c.args)[0] ?? '';
      lines.push(`${c.syscall}(${fd}) = ${c.result}   ← ${fdPaths.get(`${key}:${fd}`) ?? `fd ${fd}`}`);
    } else if (/^(sync|syncfs)$/.test(c.syscall)) lines.push(`${c.syscall}(${c.args}) = ${c.result}`);
    else if (onLab && c.syscall !== 'write') lines.push(`${c.syscall}(${c.args}) = ${c.result}`);
  }
  return lines.slice(0, 40);
}

async function durableSave(ctx: CheckContext): Promise<Verdict> {
  if (!ctx.scratchVm) throw new GraderError('this check needs a scratch VM (a power cut), which this host cannot give');
  const script = await ctx.exec(['/bin/cat', SCRIPT], { maxOutput: 64 * 1024 });
  if (script.exitCode !== 0)
    return {
      passed: false,
      reason: `There is no ${SCRIPT} to run.`,
      evidence: [{ source: `cat ${SCRIPT}`, lines: lastLines(script.stderr, 2) }],
    };
  const value = `theme=dark-${ctx.nonce().slice(0, 12)}`;
  const vm = await ctx.scratchVm({ 'settings.conf': OLD_CONTENT });
  try {
    // The learner's script, as the learner, under strace; PATH has the lab's tools (fsync).
    const run = await vm.exec(
      [
        '/usr/bin/strace',
        '-f',
        '-qq',
        '-u',
        'student',
        '-o',
        TRACE,
        '-e',
        `trace=${TRACED}`,
        '--',
        '/bin/busybox',
        'env',
        '-i',
        'HOME=/home/student',
        'PATH=/usr/bin:/bin:/opt/labs/bin',
        '/bin/sh',
        '-s',
        '--',
        value,
      ],
      { stdin: script.stdout, timeoutMs: 30_000 },
    );
    const trace = await vm.exec(['/bin/cat', TRACE], { maxOutput: 1024 * 1024 });
    await vm.powerCut();
    const after = await vm.readDiskFile('/settings.conf');
    const calls = parseStraceCalls(trace.stdout);
    const evidence = [
      { source: `strace -f -e trace=${TRACED} -- sh save.sh '${value}'`, lines: relevantLines(calls) },
      {
        source: 'settings.conf on the disk after the power cut and journal replay',
        lines: [after === null ? '(no such file)' : JSON.stringify(after)],
      },
    ];
    if (run.timedOut || run.exitCode !== 0)
      return {
        passed: false,
        reason: `save.sh ${run.timedOut ? 'did not finish in 30 s' : `exited ${run.exitCode}`}: ${lastLines(run.stderr, 2).join(' / ')}`,
        evidence,
      };
    const inPlace = inPlaceWrites(calls);
    if (inPlace.length > 0)
      return {
        passed: false,
        reason:
          'settings.conf was opened for writing in place. A power cut between its truncation and the write leaves it empty or half-written: write a temporary file in the same directory and rename it over the old one.',
        evidence: [
          { source: 'in-place writes of the live file', lines: inPlace.map((c) => `${c.syscall}(${c.args}) = ${c.result}`) },
          ...evidence,
        ],
      };
    const replaced = calls.some((c) => /^rename/.test(c.syscall) && c.result === '0' && isTarget(pathsOf(c)[1] ?? ''));
    if (after === `${value}\n` && !replaced)
      return {
        passed: false,
        reason:
          'The new content reached the disk, but settings.conf was never replaced by a rename, so there was a moment when it was neither old nor new.',
        evidence,
      };
    if (after === `${value}\n`)
      return {
        passed: true,
        reason: 'The new content survived a power cut the moment save.sh returned, and the live file was only ever replaced by a rename.',
        evidence,
      };
    if (after === OLD_CONTENT) {
      const renamed = calls.some((c) => /^rename/.test(c.syscall) && pathsOf(c).some(isTarget));
      const hint = renamed
        ? 'The rename happened, but a rename lives in the directory: until the directory itself is fsynced, a power cut can undo it.'
        : 'Data a program wrote sits in the page cache until something makes it durable.';
      return {
        passed: false,
        reason: `After the power cut settings.conf still held the old content: save.sh returned before the new one was durable. ${hint}`,
        evidence,
      };
    }
    return {
      passed: false,
      reason:
        after === null || after === ''
          ? 'After the power cut settings.conf was missing or empty.'
          : `After the power cut settings.conf held neither the old nor the new content (expected "${value}" and a newline).`,
      evidence,
    };
  } finally {
    await vm.stop();
  }
}

export const durableWrite: LabGrader = {
  labId: 'durable-write',
  tasks: [{ id: 'durable-save', check: durableSave }],
};

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { GraderError, type GuestExec, type GuestOutput, parsePerfStat } from '@/lib/grader';
import { CONTROL_EVENT, END_EVENT, perfStat, voidedNote, voidPerfRun } from '@/lib/grader/perf-stat';
import { shieldedExec } from '@/lib/grader/shield';

/**
 * perf in the aarch64 guest sometimes counts nothing (every counter 0), now and then misses part
 * of a program, or dies of SIGSEGV. Both captures are real: the same `counterd --threads 4` run
 * under the grader's `perf stat -x,` (futex plus its control counters) in the aarch64 lab VM, one
 * of them a run in which perf counted nothing although the program made ~3 800 futex calls.
 */
const fixture = (name: string) => readFileSync(path.join('test/fixtures/grader/aarch64', name), 'utf8');
const counted = fixture('perf-stat-x-counted.stderr');
const nothing = fixture('perf-stat-x-void.stderr');
const out = (stderr: string, over: Partial<GuestOutput> = {}): GuestOutput => ({
  exitCode: 0,
  signal: 0,
  timedOut: false,
  stdout: 'counterd ops=2000 total=2000 lost=0\n',
  stderr,
  ...over,
});

let n = 0;
const nonce = () => (++n).toString(16).padStart(12, '0');

describe('perf runs the grader does not believe', () => {
  it('a run whose control counter is 0 measured nothing, even though it says 0 futex calls', () => {
    expect(parsePerfStat(nothing).counters.find((c) => c.event === 'syscalls:sys_enter_futex')?.value).toBe(0);
    expect(voidPerfRun(out(nothing), parsePerfStat(nothing))).toMatch(/counted nothing/);
    expect(voidPerfRun(out(counted), parsePerfStat(counted))).toBeNull();
  });

  it('a run that counted the start and end but not the threads (CI once passed the untouched service so) is void', () => {
    // The real counted capture with the worker threads' calls taken out: main's set_tid_address,
    // set_robust_list and exit_group remain; the four workers' futex, set_robust_list and exit do not.
    const partial = counted
      .replace(/^\d+,,syscalls:sys_enter_futex,/m, '0,,syscalls:sys_enter_futex,')
      .replace(/^5,,syscalls:sys_enter_set_robust_list,/m, '1,,syscalls:sys_enter_set_robust_list,')
      .replace(/^4,,syscalls:sys_enter_exit,/m, '0,,syscalls:sys_enter_exit,');
    expect(partial).not.toBe(counted);
    expect(voidPerfRun(out(partial), parsePerfStat(partial), 4)).toMatch(/missed threads/);
    expect(voidPerfRun(out(counted), parsePerfStat(counted), 4)).toBeNull();
    const stoppedEarly = counted.replace(/^1,,syscalls:sys_enter_exit_group,/m, '0,,syscalls:sys_enter_exit_group,');
    expect(voidPerfRun(out(stoppedEarly), parsePerfStat(stoppedEarly))).toMatch(/stopped counting before the end/);
  });

  it('perf killed by a signal, timed out, or without the control line is void', () => {
    expect(voidPerfRun(out('', { exitCode: -1, signal: 11 }), parsePerfStat(''))).toBe('perf was killed by signal 11');
    expect(voidPerfRun(out(counted, { timedOut: true }), parsePerfStat(counted))).toBe('perf timed out');
    const noControl = counted
      .split('\n')
      .filter((l) => !l.includes(CONTROL_EVENT))
      .join('\n');
    expect(voidPerfRun(out(noControl), parsePerfStat(noControl))).toMatch(/no syscalls:sys_enter_set_tid_address count/);
  });

  it('measures again after a void run, says so, and runs the setup hook before every attempt', async () => {
    const replies = [out(nothing), out('', { exitCode: -1, signal: 11 }), out(counted)];
    const calls: (readonly string[])[] = [];
    let hooks = 0;
    const exec: GuestExec = async (argv) => {
      if (argv[0] === '/bin/sh') return out(''); // the ptrace shield around each run
      calls.push(argv);
      return replies.shift() as GuestOutput;
    };
    const run = await perfStat(
      { exec, nonce },
      { events: ['syscalls:sys_enter_futex'], argv: ['/opt/x'], beforeEach: async () => void hooks++ },
    );
    expect(run.stat.counters.find((c) => c.event === 'syscalls:sys_enter_futex')?.value).toBeGreaterThan(1000);
    expect(calls).toHaveLength(3);
    expect(hooks).toBe(3);
    expect(calls[0]).toContain(`syscalls:sys_enter_futex,${CONTROL_EVENT},${END_EVENT}`);
    expect(calls[0]?.slice(0, 6)).toEqual(['/bin/busybox', 'env', '-i', 'HOME=/', 'PATH=/usr/bin:/bin', '/usr/bin/perf']);
    expect(voidedNote(run)).toEqual([expect.stringMatching(/measured again: .*counted nothing; perf was killed by signal 11/)]);
  });

  it('void runs every time fail the check with the reason; they never read as zero syscalls', async () => {
    const exec: GuestExec = async () => out(nothing);
    await expect(perfStat({ exec, nonce }, { events: ['syscalls:sys_enter_futex'], argv: ['/opt/x'] })).rejects.toThrow(GraderError);
    await expect(perfStat({ exec, nonce }, { events: ['syscalls:sys_enter_futex'], argv: ['/opt/x'] })).rejects.toThrow(
      /perf measured nothing 6 times/,
    );
  });
});

describe('the ptrace shield around a grader run as the learner', () => {
  it('raises the Yama scope before the run and lowers it after the last overlapping run ends, even when a run throws', async () => {
    const log: string[] = [];
    const exec: GuestExec = async (argv) => {
      log.push(argv[0] === '/bin/sh' ? (argv[2] ?? '') : `run ${argv.join(' ')}`);
      if (argv[0] === '/opt/boom') throw new Error('agent gone');
      return out('');
    };
    await shieldedExec(exec, 'aa11aa11', ['/opt/x'], { user: 'student' });
    expect(log[0]).toMatch(/: > \/run\/kmap-shield\/aa11aa11 && echo 1 > \/proc\/sys\/kernel\/yama\/ptrace_scope$/);
    expect(log[1]).toBe('run /opt/x');
    expect(log[2]).toMatch(/rm -f \/run\/kmap-shield\/aa11aa11; \[ -n "\$\(ls -A \/run\/kmap-shield\)" \] \|\| echo 0 > /);
    await expect(shieldedExec(exec, 'bb22bb22', ['/opt/boom'], { user: 'student' })).rejects.toThrow('agent gone');
    expect(log.at(-1)).toMatch(/rm -f \/run\/kmap-shield\/bb22bb22/);
    await expect(shieldedExec(exec, 'x; reboot', ['/opt/x'], { user: 'student' })).rejects.toThrow(/plain nonce/);
  });
});

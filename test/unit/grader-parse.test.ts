import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  parseNameValues,
  parsePerfStat,
  parsePerfTraceSummary,
  parsePressure,
  parseProcKeyValues,
  parseSmapsRollup,
  parseStat,
  parseStraceCalls,
  parseStraceSummary,
  parseTaskStats,
  parseWchan,
  perfCounter,
  procKb,
  splitStraceArgs,
  straceString,
  sumSyscalls,
} from '@/lib/grader';

/**
 * Every parser against real outputs captured from both guests (scripts/capture-grader-fixtures.ts:
 * counterd, ledger and a durable-write shell run under perf/strace; /proc of a running counterd).
 */
const fixture = (arch: string, name: string) => readFileSync(path.join('test/fixtures/grader', arch, name), 'utf8');

describe.each(['x86_64', 'aarch64'])('grader parsers on %s', (arch) => {
  it('perf stat: human and -x, output give the same software counters', () => {
    for (const name of ['perf-stat.stderr', 'perf-stat-x.stderr']) {
      const s = parsePerfStat(fixture(arch, name));
      expect(s.counters.map((c) => c.event)).toEqual(['task-clock', 'context-switches', 'cpu-migrations', 'page-faults']);
      expect(perfCounter(s, 'task-clock')).toBeGreaterThan(0);
      expect(perfCounter(s, 'context-switches')).toBeGreaterThan(0);
      expect(s.counters[0]?.unit).toBe('msec');
    }
    expect(parsePerfStat(fixture(arch, 'perf-stat.stderr')).elapsedSeconds).toBeGreaterThan(0);
  });

  it('perf stat -x, of syscall tracepoints: ledger pays 4 writes per record, counterd ~2 futex calls per op', () => {
    const writes = parsePerfStat(fixture(arch, 'perf-stat-x-writes.stderr'));
    expect(perfCounter(writes, 'syscalls:sys_enter_write')).toBe(8000);
    expect(perfCounter(writes, 'syscalls:sys_enter_writev')).toBe(0);
    const futex = perfCounter(parsePerfStat(fixture(arch, 'perf-stat-x-futex.stderr')), 'syscalls:sys_enter_futex') ?? 0;
    expect(futex).toBeGreaterThan(2000);
  });

  it('perf trace -s: one block per thread, futex dominant over the workers', () => {
    const threads = parsePerfTraceSummary(fixture(arch, 'perf-trace-s.stderr'));
    expect(threads.length).toBe(5);
    expect(threads.every((t) => t.comm === 'counterd')).toBe(true);
    const sums = sumSyscalls(threads);
    expect(sums.get('futex')).toBeGreaterThan(1000);
    expect(threads[0]?.syscalls.find((s) => s.syscall === 'execve')?.calls ?? 0).toBeLessThanOrEqual(1);
  });

  it('strace -c -f: rows, blank error columns and the total', () => {
    const s = parseStraceSummary(fixture(arch, 'strace-c-f.stderr'));
    const futex = s.syscalls.find((r) => r.syscall === 'futex');
    expect(futex?.calls).toBeGreaterThan(1000);
    expect(s.totalCalls).toBe(s.syscalls.reduce((a, r) => a + r.calls, 0));
    expect(parseStraceSummary(fixture(arch, 'strace-c-ledger-fields.stderr')).syscalls).toEqual([
      expect.objectContaining({ syscall: 'write', calls: 8000, errors: 0 }),
    ]);
    expect(parseStraceSummary(fixture(arch, 'strace-c-ledger-batched.stderr')).totalCalls).toBe(8);
  });

  it('strace -f -o: futex calls per address; the hot lock is a named mutex', () => {
    const calls = parseStraceCalls(fixture(arch, 'strace-f-futex.stdout')).filter((c) => c.syscall === 'futex');
    const locks = new Map(
      fixture(arch, 'counterd-locks.stdout')
        .trim()
        .split('\n')
        .map((l) => l.split(' ').reverse() as [string, string]),
    );
    const perLock = new Map<string, number>();
    for (const c of calls) {
      const name = locks.get(splitStraceArgs(c.args)[0] ?? '');
      if (name) perLock.set(name, (perLock.get(name) ?? 0) + 1);
    }
    // --seed 1 makes "accounts" hot (counterd's hash); the cold locks are barely touched.
    expect([...perLock.entries()].sort((a, b) => b[1] - a[1])[0]?.[0]).toBe('accounts');
    expect(calls.every((c) => c.result !== null || c.args.includes('FUTEX_WAIT'))).toBe(true);
  });

  it('strace -f -o of a durable write: the open, fsyncs and the rename (rename on x86_64, renameat on arm64)', () => {
    const calls = parseStraceCalls(fixture(arch, 'strace-f-durable.stdout'));
    const names = calls.map((c) => c.syscall);
    expect(names).toContain('fsync');
    const rename = calls.find((c) => /^rename/.test(c.syscall));
    expect(rename?.syscall).toBe(arch === 'x86_64' ? 'rename' : 'renameat');
    const args = splitStraceArgs(rename?.args ?? '');
    expect(args.map(straceString).filter((s) => s !== null)).toEqual(['/tmp/f.tmp', '/tmp/f.txt']);
    const open = calls.find((c) => c.syscall === 'openat' && c.args.includes('f.tmp'));
    expect(open?.args).toContain('O_TRUNC');
    expect(open?.result).toBe('3');
  });

  it('/proc/PID/status, smaps_rollup, io, vmstat', () => {
    const status = parseProcKeyValues(fixture(arch, 'proc-status.stdout'));
    expect(status.get('Name')).toBe('counterd');
    expect(status.get('Threads')).toBe('5');
    expect(procKb(status, 'VmRSS')).toBeGreaterThan(0);
    expect(procKb(status, 'VmSize')).toBeGreaterThan(procKb(status, 'VmRSS') ?? 0);
    const rollup = parseSmapsRollup(fixture(arch, 'proc-smaps_rollup.stdout'));
    expect(rollup.get('Rss')).toBeGreaterThan(0);
    expect(rollup.get('Pss')).toBeLessThanOrEqual(rollup.get('Rss') ?? 0);
    const io = parseProcKeyValues(fixture(arch, 'proc-io.stdout'));
    expect([...io.keys()]).toEqual(['rchar', 'wchar', 'syscr', 'syscw', 'read_bytes', 'write_bytes', 'cancelled_write_bytes']);
    const vm = parseNameValues(fixture(arch, 'proc-vmstat.stdout'));
    expect(vm.get('pgfault')).toBeGreaterThan(0);
    expect(vm.size).toBeGreaterThan(100);
  });

  it('/proc/PID/task/*/stat and wchan: five counterd threads, workers waiting in futex_wait_queue', () => {
    const stats = parseTaskStats(fixture(arch, 'proc-task-stat.stdout'));
    expect(stats).toHaveLength(5);
    expect(stats.every((s) => s.comm === 'counterd' && s.numThreads === 5)).toBe(true);
    expect(stats[0]?.vsize).toBeGreaterThan(0);
    const wchans = fixture(arch, 'proc-task-wchan.stdout')
      .trim()
      .split('\n')
      .map((l) => parseWchan(l.split(' ')[1] ?? ''));
    expect(wchans.filter((w) => w === 'futex_wait_queue').length).toBeGreaterThanOrEqual(2);
    expect(parseWchan('0')).toBeNull();
  });

  it('/proc/pressure/*: some and full lines (cpu has a full line of zeros at the root)', () => {
    for (const r of ['cpu', 'memory', 'io']) {
      const p = parsePressure(fixture(arch, `proc-pressure-${r}.stdout`));
      expect(p.some).not.toBeNull();
      expect(p.full).not.toBeNull();
    }
    expect(parsePressure(fixture(arch, 'proc-pressure-cpu.stdout')).some?.total).toBeGreaterThan(0);
  });

  it('stat: busybox default layout, cross-checked with stat -c', () => {
    const s = parseStat(fixture(arch, 'stat.stdout'));
    const [size, blocks, , inode, links, uid, gid, mode] = fixture(arch, 'stat-c.stdout').trim().split(' ');
    expect(s).toEqual({
      size: Number(size),
      blocks: Number(blocks),
      inode: Number(inode),
      links: Number(links),
      mode: `0${mode}`,
      uid: Number(uid),
      gid: Number(gid),
    });
  });
});

describe('parsers refuse what they do not understand', () => {
  it('returns nothing rather than guessing', () => {
    expect(parsePerfStat('garbage\n').counters).toEqual([]);
    expect(parseStraceSummary('no table').totalCalls).toBeNull();
    expect(parseStraceCalls('--- SIGCHLD {si_signo=SIGCHLD} ---\n+++ exited with 0 +++')).toEqual([]);
    expect(parseStat('File: x')).toBeNull();
    expect(parsePressure('some avg10=x')).toEqual({ some: null, full: null });
    expect(parseTaskStats('12 (a b) S')).toEqual([]);
  });
  it('keeps a comm with spaces and parentheses whole', () => {
    const line = '7 (my (odd) name) S 1 7 7 0 -1 4194304 53 0 2 0 11 15 0 0 20 0 3 0 514 34770944 9 18446744073709551615';
    expect(parseTaskStats(line)[0]).toMatchObject({
      pid: 7,
      comm: 'my (odd) name',
      state: 'S',
      minflt: 53,
      majflt: 2,
      numThreads: 3,
      rss: 9,
    });
  });
  it('decodes strace string escapes', () => {
    expect(straceString('"new\\n"')).toBe('new\n');
    expect(straceString('"a\\x41\\101"')).toBe('aAA');
    expect(straceString('AT_FDCWD')).toBeNull();
  });
});

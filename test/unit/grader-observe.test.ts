import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  anonInode,
  expectedFigures,
  type GuestExec,
  type GuestOutput,
  LAB_GRADERS,
  type LabGrader,
  lazyParams,
  NEXT_TOOLS,
  parseFdLinks,
  parseMib,
  parseProcLocks,
  parseProcSyscall,
  pressureSample,
  psiDraw,
  readWait,
  runChecks,
  stuckDraw,
} from '@/lib/grader';

/**
 * The lazy-memory, psi-triage and proc-debugger graders on real captures from both guests
 * (scripts/capture-grader-fixtures.ts, CAPTURE_SETS=waits): imgcache started with a 160 MiB
 * arena, 20 MiB written and 5 MiB of its index read; the grader's pressure sample with a job
 * stalling on each resource; reportd blocked on each kind of wait, held by `uploader`.
 */
const fixture = (arch: string, name: string) => readFileSync(path.join('test/fixtures/grader', arch, name), 'utf8');
const ok = (stdout: string): GuestOutput => ({ exitCode: 0, signal: 0, timedOut: false, stdout, stderr: '' });
const missing: GuestOutput = { exitCode: 1, signal: 0, timedOut: false, stdout: '', stderr: 'No such file or directory' };
const grader = (id: string) => LAB_GRADERS.get(id) as LabGrader;
const ctxFor = (arch: string, seed: string, exec: GuestExec) => ({ arch: arch as 'x86_64', seed, exec, nonce: () => 'n', now: () => 0 });

/** A seed whose draw satisfies `want` (draws are deterministic, so this is too). */
function seedWhere(want: (seed: string) => boolean): string {
  for (let i = 0; i < 10_000; i++) if (want(`seed-${i}`)) return `seed-${i}`;
  throw new Error('no seed found');
}

describe.each(['x86_64', 'aarch64'])('parsers for waits on %s', (arch) => {
  it('/proc/locks: three helpers hold a lock each, reportd waits (->) on uploader’s', () => {
    const text = fixture(arch, 'proc-wait-flock.stdout');
    const locks = parseProcLocks(text.slice(text.indexOf('=== locks'), text.indexOf('=== procs')));
    expect(locks.filter((l) => !l.blocked)).toHaveLength(3);
    const waiter = locks.find((l) => l.blocked);
    expect(waiter).toMatchObject({ type: 'FLOCK', access: 'WRITE' });
    const holder = locks.find((l) => !l.blocked && l.file === waiter?.file);
    expect(holder?.pid).toBeGreaterThan(1);
    expect(holder?.inode).toBe(waiter?.inode);
  });

  it('/proc/PID/syscall: read, flock and wait4 by their architecture’s numbers', () => {
    const nr = (kind: string) => {
      const t = fixture(arch, `proc-wait-${kind}.stdout`);
      return parseProcSyscall(t.slice(t.indexOf('=== syscall') + 12, t.indexOf('=== fd')))?.nr;
    };
    const numbers = arch === 'x86_64' ? { pipe: 0, flock: 73, child: 61 } : { pipe: 63, flock: 32, child: 260 };
    expect({ pipe: nr('pipe'), flock: nr('flock'), child: nr('child') }).toEqual(numbers);
    expect(parseProcSyscall('running')).toEqual({ nr: null, running: true });
    expect(parseProcSyscall('garbage')).toBeNull();
  });

  it('fd links: reportd’s stdin is a pipe, and another process holds the same pipe', () => {
    const links = parseFdLinks(fixture(arch, 'proc-wait-pipe.stdout'));
    const stdin = links.find((l) => l.fd === 0 && anonInode(l.target) !== null);
    expect(stdin).toBeDefined();
    const ends = links.filter((l) => l.target === stdin?.target);
    expect(ends.length).toBeGreaterThanOrEqual(2);
    expect(anonInode('/dev/null')).toBeNull();
  });
});

describe.each(['x86_64', 'aarch64'])('proc-debugger on %s', (arch) => {
  for (const kind of ['pipe', 'flock', 'child'] as const)
    it(`reads a ${kind} wait and finds uploader holding it`, () => {
      const text = fixture(arch, `proc-wait-${kind}.stdout`);
      const pid = Number(/^\/proc\/(\d+)\/fd\/0 /m.exec(text)?.[1]);
      const w = readWait(pid, text);
      expect(w.kind).toBe(kind);
      expect(w.holderComm).toBe('uploader');
      expect(w.stat?.state).toBe('S');
      expect(w.evidence.flatMap((e) => e.lines).join('\n')).toMatch(kind === 'flock' ? /held by pid \d+ \(uploader\)/ : /uploader/);
    });

  /** A VM whose reportd is blocked as captured; `status` is the exit record, if any. */
  const guest =
    (kind: string, status: string | null): GuestExec =>
    async (argv) => {
      const text = fixture(arch, `proc-wait-${kind}.stdout`);
      const pid = /^\/proc\/(\d+)\/fd\/0 /m.exec(text)?.[1] ?? '0';
      const cmd = argv.join(' ');
      if (cmd === '/bin/cat /run/kmap/reportd.pid') return ok(`${pid}\n`);
      if (cmd === `/bin/readlink /proc/${pid}/exe`) return ok('/opt/labs/proc-debugger/stuckd\n');
      if (argv[0] === '/bin/sh' && argv[4] === pid) return ok(text);
      if (cmd === '/bin/cat /run/kmap/reportd.status') return status === null ? missing : ok(status);
      if (cmd === `/bin/cat /proc/${pid}/wchan`) return ok('pipe_read');
      return missing;
    };

  it('passes the drawn answers, fails another session’s, and judges the release by its exit record', async () => {
    const seed = seedWhere((s) => stuckDraw(s).kind === 'flock' && stuckDraw(s).holder === 'uploader');
    const g = grader('proc-debugger');
    const right = await runChecks(g, ctxFor(arch, seed, guest('flock', null)), { 'blocked-on': 'flock', holder: 'uploader' });
    expect(right.map((r) => [r.taskId, r.passed])).toEqual([
      ['blocked-on', true],
      ['holder', true],
      ['release', false],
    ]);
    expect(right[2]?.reason).toMatch(/still waiting/);
    const wrong = await runChecks(g, ctxFor(arch, seed, guest('flock', null)), { 'blocked-on': 'pipe', holder: 'mailer' });
    expect(wrong.map((r) => r.passed)).toEqual([false, false, false]);
    const [killed] = await runChecks(
      g,
      ctxFor(arch, seed, guest('flock', 'signal 15 held: /var/lib/reports/uploader.lock was still locked by another process\n')),
      {},
      ['release'],
    );
    expect(killed).toMatchObject({ passed: false, reason: expect.stringMatching(/killed by signal 15/) });
    for (const kind of ['pipe', 'flock', 'child']) {
      const record = (way: string) => fixture(arch, `reportd-status-${kind}-${way}.stdout`);
      const [released] = await runChecks(g, ctxFor(arch, seed, guest('flock', record('released'))), {}, ['release']);
      expect(released, kind).toMatchObject({ passed: true });
      // strace injected a return value: reportd exited 0, yet the holder never let go.
      const [injected] = await runChecks(g, ctxFor(arch, seed, guest('flock', record('injected'))), {}, ['release']);
      expect(injected, kind).toMatchObject({
        passed: false,
        reason: expect.stringMatching(/nothing was released: when it ended, .*(pipe|locked|running)/),
      });
    }
    // Data written into the pipe through the holder's /proc/PID/fd/3 is a real release too.
    const [written] = await runChecks(g, ctxFor(arch, seed, guest('flock', fixture(arch, 'reportd-status-pipe-written.stdout'))), {}, [
      'release',
    ]);
    expect(written).toMatchObject({ passed: true });
  });

  it('refuses answers when reportd is blocked otherwise than this session drew (another lab’s hang)', async () => {
    const seed = seedWhere((s) => stuckDraw(s).kind === 'pipe');
    const [r] = await runChecks(grader('proc-debugger'), ctxFor(arch, seed, guest('child', null)), { 'blocked-on': 'child' }, [
      'blocked-on',
    ]);
    expect(r).toMatchObject({ passed: false, reason: expect.stringMatching(/not blocked the way this lab left it/) });
  });
});

describe.each(['x86_64', 'aarch64'])('psi-triage on %s', (arch) => {
  it('measures the stalled resource from two reads of the pressure files', () => {
    for (const mode of ['cpu', 'memory', 'io'] as const) {
      const s = pressureSample(fixture(arch, `pressure-sample-${mode}.stdout`));
      expect(s.seconds).toBeGreaterThan(0.4);
      expect(s.share[mode]).toBeGreaterThan(0.8);
      for (const other of ['cpu', 'memory', 'io'] as const) if (other !== mode) expect(s.share[other]).toBeLessThan(0.2);
    }
    const idle = pressureSample(fixture(arch, 'pressure-sample-idle.stdout'));
    expect(Math.max(idle.share.cpu, idle.share.memory, idle.share.io)).toBeLessThan(0.2);
    expect(() => pressureSample('nothing here')).toThrow(/incomplete/);
  });

  const guest =
    (sample: string): GuestExec =>
    async (argv) => {
      const cmd = argv.join(' ');
      if (cmd === '/bin/cat /run/kmap/jobd.pids') return ok('batch-a 201\nbatch-b 202\nbatch-c 203\n');
      if (cmd.startsWith('/bin/readlink /proc/20')) return ok('/opt/labs/psi-triage/jobd\n');
      if (argv[0] === '/bin/sh') return ok(fixture(arch, `pressure-sample-${sample}.stdout`));
      return missing;
    };

  it('passes the drawn resource and a tool for it only while that stall is measured', async () => {
    const seed = seedWhere((s) => psiDraw(s).resource === 'memory');
    const g = grader('psi-triage');
    const right = await runChecks(g, ctxFor(arch, seed, guest('memory')), { resource: 'memory', 'next-tool': NEXT_TOOLS.memory[1] });
    expect(right.map((r) => r.passed)).toEqual([true, true]);
    expect(right[0]?.evidence[0]?.lines[1]).toMatch(/^memory some: stalled \d+ %/);
    const wrongTool = await runChecks(g, ctxFor(arch, seed, guest('memory')), { resource: 'memory', 'next-tool': 'iostat' });
    expect(wrongTool.map((r) => r.passed)).toEqual([true, false]);
    // Another session's resource is not stalled here, and a fake stall of it cannot be shown: the
    // sample comes from the grader's own read.
    const stale = await runChecks(g, ctxFor(arch, seed, guest('memory')), { resource: 'cpu', 'next-tool': 'top' });
    expect(stale.map((r) => r.passed)).toEqual([false, false]);
    // The jobs stopped: nothing is stalled, so even the right answer is not confirmed.
    const gone = await runChecks(g, ctxFor(arch, seed, guest('idle')), { resource: 'memory', 'next-tool': '/proc/vmstat' });
    expect(gone.map((r) => r.passed)).toEqual([false, false]);
    expect(gone[0]?.reason).toMatch(/not there any more/);
  });
});

describe.each(['x86_64', 'aarch64'])('lazy-memory on %s', (arch) => {
  const guest: GuestExec = async (argv) => {
    const cmd = argv.join(' ');
    if (cmd === '/bin/cat /run/kmap/imgcache.pid') return ok('150\n');
    if (cmd === '/bin/readlink /proc/150/exe') return ok('/opt/labs/lazy-memory/imgcache\n');
    const f = /^\/bin\/cat \/proc\/150\/(status|stat|smaps_rollup)$/.exec(cmd)?.[1];
    return f ? ok(fixture(arch, `imgcache-${f}.stdout`)) : missing;
  };
  // The captured imgcache had a 160 MiB arena, 20 MiB written, 5 MiB of the index read.
  const seed = seedWhere((s) => {
    const p = lazyParams(s);
    return p.arenaMib === 160 && p.touchMib === 20 && p.readMib === 5;
  });

  it('the drawn sizes predict what the kernel reports, within the tolerances', async () => {
    const truth = expectedFigures(lazyParams(seed));
    const results = await runChecks(grader('lazy-memory'), ctxFor(arch, seed, guest), {
      vsz: String(truth.vszMib),
      rss: String(truth.rssMib),
      faults: String(truth.faults),
      'file-backed': String(truth.fileMib),
    });
    expect(results.map((r) => [r.taskId, r.passed, r.reason])).toEqual(results.map((r) => [r.taskId, true, r.reason]));
  });

  it('fails a swapped VSZ/RSS, a count off by the file faults, and another session’s sizes', async () => {
    const truth = expectedFigures(lazyParams(seed));
    const results = await runChecks(grader('lazy-memory'), ctxFor(arch, seed, guest), {
      vsz: String(truth.rssMib),
      rss: String(truth.vszMib),
      // Counting every resident page as one fault ignores fault-around on the index file.
      faults: String((truth.rssMib * 1024) / 4),
      'file-backed': '9',
    });
    expect(results.map((r) => r.passed)).toEqual([false, false, false, false]);
    expect(results[0]?.reason).toMatch(/the grader read VmSize = \d+\.\d MiB/);
    // Another session's imgcache maps a different arena: this one is not the lab's.
    const other = seedWhere((s) => lazyParams(s).arenaMib === 96);
    const [r] = await runChecks(grader('lazy-memory'), ctxFor(arch, other, guest), { vsz: '169' }, ['vsz']);
    expect(r).toMatchObject({ passed: false, reason: expect.stringMatching(/not what this session started/) });
  });

  it('reads answers in MiB with or without a unit, and refuses anything else', () => {
    expect(parseMib('169')).toBe(169);
    expect(parseMib(' 169.5 MiB')).toBe(169.5);
    expect(parseMib('169M')).toBe(169);
    expect(parseMib('lots')).toBeNull();
  });
});

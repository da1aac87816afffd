import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  drawFor,
  expectedLedger,
  type GuestExec,
  type GuestOutput,
  graderPort,
  guardedExec,
  hotLockOf,
  inPlaceWrites,
  LAB_GRADERS,
  type LabGrader,
  parseStraceCalls,
  runChecks,
  serviceSeed,
} from '@/lib/grader';

const ok = (stdout: string, stderr = ''): GuestOutput => ({ exitCode: 0, signal: 0, timedOut: false, stdout, stderr });
const fixture = (arch: string, name: string) => readFileSync(path.join('test/fixtures/grader', arch, name), 'utf8');
const baseCtx = (exec: GuestExec) => ({ arch: 'x86_64' as const, seed: 's1', exec, nonce: () => 'n0nce', now: () => 0 });

describe('check runner', () => {
  it('refuses relative commands: the learner controls PATH', async () => {
    const exec = guardedExec(async () => ok(''));
    await expect(exec(['perf', 'stat'])).rejects.toThrow(/absolute/);
    await expect(exec(['/usr/bin/perf', 'stat'])).resolves.toMatchObject({ exitCode: 0 });
  });

  it('fails an answer task without an answer, and turns a throwing check into a failed task with its reason', async () => {
    const grader: LabGrader = {
      labId: 'x',
      tasks: [
        { id: 'a', answer: { prompt: '?' }, check: async () => ({ passed: true, reason: 'yes', evidence: [] }) },
        {
          id: 'b',
          check: async (ctx) => {
            await ctx.exec(['relative']);
            return { passed: true, reason: 'unreachable', evidence: [] };
          },
        },
        { id: 'c', check: async () => ({ passed: true, reason: 'fine', evidence: [{ source: 's', lines: ['l'] }] }) },
      ],
    };
    const results = await runChecks(
      grader,
      baseCtx(async () => ok('')),
      { a: '  ' },
    );
    expect(results.map((r) => [r.taskId, r.passed])).toEqual([
      ['a', false],
      ['b', false],
      ['c', true],
    ]);
    expect(results[0]?.reason).toBe('No answer given yet.');
    expect(results[1]?.reason).toMatch(/absolute paths/);
    expect(
      await runChecks(
        grader,
        baseCtx(async () => ok('')),
        {},
        ['c'],
      ),
    ).toHaveLength(1);
  });
});

describe('drawn truth', () => {
  it('is the same for a seed and differs across seeds', () => {
    expect(drawFor('abc', 'p').int(1000)).toBe(drawFor('abc', 'p').int(1000));
    const hot = new Set(Array.from({ length: 60 }, (_, i) => hotLockOf(serviceSeed(`session-${i}`))));
    expect([...hot].sort()).toEqual(['accounts', 'metrics', 'sessions']);
  });

  it("mirrors counterd's own choice of hot lock (seed 1 → accounts, as the captured strace shows)", () => {
    expect(hotLockOf(1)).toBe('accounts');
  });
});

describe('futex-contention: name the lock, on a real strace capture (counterd --seed 1)', () => {
  const grader = LAB_GRADERS.get('futex-contention') as LabGrader;
  const guest = (arch: string): GuestExec => {
    return async (argv) => {
      const cmd = argv.join(' ');
      if (cmd === '/bin/cat /run/kmap/counterd.pid') return ok('123 1\n');
      if (cmd === '/bin/readlink /proc/123/exe') return ok('/opt/labs/futex-contention/counterd\n');
      if (cmd.endsWith('counterd --locks')) return ok(fixture(arch, 'counterd-locks.stdout'));
      if (cmd.startsWith('/bin/cat /run/kmap-grader/futex-')) return ok(fixture(arch, 'strace-f-futex.stdout'));
      return ok('');
    };
  };
  for (const arch of ['x86_64', 'aarch64'])
    it(`${arch}: passes the measured lock, fails another session's answer`, async () => {
      const [right] = await runChecks(grader, { ...baseCtx(guest(arch)), arch: arch as 'x86_64' }, { 'name-lock': 'accounts' }, [
        'name-lock',
      ]);
      expect(right).toMatchObject({ passed: true });
      expect(right?.evidence[0]?.lines[0]).toMatch(/^accounts 0x[0-9a-f]+: \d+ calls$/);
      const [wrong] = await runChecks(grader, { ...baseCtx(guest(arch)), arch: arch as 'x86_64' }, { 'name-lock': 'sessions' }, [
        'name-lock',
      ]);
      expect(wrong).toMatchObject({ passed: false });
      expect(wrong?.reason).toMatch(/sessions saw 0 futex calls/);
    });

  it('fails when the service the lab started is gone or replaced', async () => {
    const impostor: GuestExec = async (argv) =>
      argv.join(' ') === '/bin/cat /run/kmap/counterd.pid' ? ok('123 1\n') : ok('/home/student/counterd\n');
    const [r] = await runChecks(grader, baseCtx(impostor), { 'name-lock': 'accounts' }, ['name-lock']);
    expect(r).toMatchObject({ passed: false });
    expect(r?.reason).toMatch(/no longer running/);
  });
});

describe('syscall-tax', () => {
  it('knows the ledger byte for byte (first records of a real run of ledger on the host)', () => {
    expect(expectedLedger(5)).toBe(
      '00000000,acct-0000,0.00\n00000001,acct-7919,4729.01\n00000002,acct-5838,9458.02\n00000003,acct-3757,14187.03\n00000004,acct-1676,18916.04\n',
    );
  });

  it('does not believe a perf that is not counting (a fake perf prints nothing the parser accepts)', async () => {
    const grader = LAB_GRADERS.get('syscall-tax') as LabGrader;
    const [r] = await runChecks(
      grader,
      baseCtx(async () => ok('', 'write: 0\n')),
    );
    expect(r).toMatchObject({ passed: false });
    expect(r?.reason).toMatch(
      /could not gather its evidence: perf measured nothing 6 times \(perf printed no syscalls:sys_enter_set_tid_address count/,
    );
  });
});

describe('durable-write: in-place writes', () => {
  it('finds none in a temp + rename trace, and flags an O_TRUNC open of the live file', () => {
    for (const arch of ['x86_64', 'aarch64']) expect(inPlaceWrites(parseStraceCalls(fixture(arch, 'strace-f-durable.stdout')))).toEqual([]);
    const inPlace = parseStraceCalls('140 openat(AT_FDCWD, "/mnt/lab/settings.conf", O_WRONLY|O_CREAT|O_TRUNC, 0666) = 3\n');
    expect(inPlaceWrites(inPlace)).toHaveLength(1);
    const readOnly = parseStraceCalls('140 openat(AT_FDCWD, "settings.conf", O_RDONLY) = 3\n');
    expect(inPlaceWrites(readOnly)).toEqual([]);
  });
});

describe('graderPort', () => {
  it("keeps the grader's servers below the guest's ephemeral ports, where its clients' old sockets linger", () => {
    const ports = Array.from({ length: 2000 }, (_, i) => graderPort((i * 7919).toString(16).padStart(6, '0')));
    for (const p of ports) {
      expect(p).toBeGreaterThanOrEqual(20000);
      expect(p).toBeLessThan(32768);
    }
    expect(new Set(ports).size).toBeGreaterThan(1500);
    expect(() => graderPort('zzzzzz')).toThrow(/hex nonce/);
  });
});

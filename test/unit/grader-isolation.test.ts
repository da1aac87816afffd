import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ancestry,
  CPU_SAMPLE_SCRIPT,
  cgroupDraw,
  cgroupTicket,
  type GuestExec,
  type GuestOutput,
  judgeMount,
  judgePid,
  judgeUts,
  LAB_GRADERS,
  type LabGrader,
  nsDraw,
  parseCgroupPath,
  parseCpuMax,
  parseCpuSample,
  parseInspect,
  parseMountInfo,
  parseNameValues,
  parseNsLinks,
  parseNsPid,
  parseOomKills,
  runChecks,
  topMountAt,
} from '@/lib/grader';

/**
 * The cgroup-limits and namespaces graders on what they read in real guests
 * (scripts/capture-grader-fixtures.ts, CAPTURE_SETS=isolation): crunch capped at 20 % in
 * /lab/jobs/capture, bloat OOM-killed there by a 16 MiB memory.max, and sandboxd in PID + mount +
 * UTS namespaces (hostname box-capture-42, a tmpfs on /var/tmp) with and without a proc of its own.
 */
const fixture = (arch: string, name: string) => readFileSync(path.join('test/fixtures/grader', arch, name), 'utf8');
const capture = { hostname: 'box-capture-42', mountPoint: '/var/tmp' };
const ok = (stdout: string): GuestOutput => ({ exitCode: 0, signal: 0, timedOut: false, stdout, stderr: '' });
const missing: GuestOutput = { exitCode: 1, signal: 0, timedOut: false, stdout: '', stderr: 'No such file or directory' };

function seedWhere(want: (seed: string) => boolean): string {
  for (let i = 0; i < 10_000; i++) if (want(`seed-${i}`)) return `seed-${i}`;
  throw new Error('no seed found');
}

/**
 * The guest as the capture left it, answering the cgroup-limits grader's own commands:
 * crunch in /lab/jobs/capture under cpu.max 20000 100000, bloat OOM-killed there at 16 MiB.
 * `memoryMax` and `oomMemcg` let a test change what the kernel would report.
 */
function cgroupGuest(arch: string, opts: { memoryMax?: string; crunchExe?: string } = {}): GuestExec {
  const pids = fixture(arch, 'cgroup-jobs-pids.stdout');
  const crunch = /^crunch (\d+)$/m.exec(pids)?.[1];
  const G = '/sys/fs/cgroup/lab/jobs/capture';
  return async (argv) => {
    const [cmd, a1, a2] = argv;
    if (cmd === '/bin/cat' && a1 === '/run/kmap/jobs.pids') return ok(pids);
    if (cmd === '/bin/readlink' && a1 === `/proc/${crunch}/exe`) return ok(`${opts.crunchExe ?? '/opt/labs/cgroup-limits/crunch'}\n`);
    if (cmd === '/bin/cat' && a1 === `/proc/${crunch}/cgroup`) return ok(fixture(arch, 'cgroup-crunch-cgroup.stdout'));
    if (cmd === '/bin/cat' && (a1 === '/sys/fs/cgroup/lab/cpu.max' || a1 === '/sys/fs/cgroup/lab/jobs/cpu.max')) return ok('max 100000\n');
    if (cmd === '/bin/cat' && a1 === `${G}/cpu.max`) return ok(fixture(arch, 'cgroup-cpu-max.stdout'));
    if (cmd === '/bin/sh' && a2 === CPU_SAMPLE_SCRIPT) return ok(fixture(arch, 'cgroup-cpu-sample.stdout'));
    if (cmd === '/bin/dmesg') return ok(fixture(arch, 'cgroup-dmesg-oom.stdout'));
    if (cmd === '/bin/cat' && a1 === `${G}/memory.max`) return ok(`${opts.memoryMax ?? '16777216'}\n`);
    if (cmd === '/bin/cat' && a1 === `${G}/memory.events`) return ok(fixture(arch, 'cgroup-memory-events.stdout'));
    return missing;
  };
}

describe.each(['x86_64', 'aarch64'])('isolation graders on %s', (arch) => {
  it('reads crunch’s cgroup, its cpu.max and a throttled one-second sample', () => {
    expect(parseCgroupPath(fixture(arch, 'cgroup-crunch-cgroup.stdout'))).toBe('/lab/jobs/capture');
    expect(parseCpuMax(fixture(arch, 'cgroup-cpu-max.stdout'))).toEqual({ quota: 20000, period: 100000 });
    const s = parseCpuSample(fixture(arch, 'cgroup-cpu-sample.stdout'));
    expect(s.seconds).toBeGreaterThan(0.9);
    expect(s.share).toBeGreaterThan(0.1);
    expect(s.share).toBeLessThan(0.28);
    expect(s.throttled).toBeGreaterThanOrEqual(5);
    expect(s.throttledUsec).toBeGreaterThan(0);
  });

  it('finds the kernel’s OOM report of bloat killed by the group, and the group’s counters agree', () => {
    const pids = fixture(arch, 'cgroup-jobs-pids.stdout');
    const bloat = Number(/^bloat (\d+)$/m.exec(pids)?.[1]);
    const kills = parseOomKills(fixture(arch, 'cgroup-dmesg-oom.stdout'));
    expect(kills).toHaveLength(1);
    expect(kills[0]).toMatchObject({ constraint: 'CONSTRAINT_MEMCG', oomMemcg: '/lab/jobs/capture', task: 'bloat', pid: bloat, uid: 1000 });
    const events = parseNameValues(fixture(arch, 'cgroup-memory-events.stdout'));
    expect(events.get('oom_kill')).toBe(1);
    expect(events.get('max')).toBeGreaterThan(0);
  });

  it('passes a sandboxd in its own PID, mount and UTS namespaces, with a proc of its own', () => {
    const v = parseInspect(1, fixture(arch, 'ns-inspect.stdout'));
    expect(v.nsPid?.at(-1)).toBe(1);
    expect(v.itsProc).toEqual([1]);
    expect(v.members).toHaveLength(1);
    for (const judge of [judgePid, judgeMount, judgeUts]) expect(judge(v, capture).passed).toBe(true);
  });

  it('fails the PID task when its /proc is the machine’s, and tasks asked of another session', () => {
    const v = parseInspect(1, fixture(arch, 'ns-inspect-no-mount-proc.stdout'));
    const pid = judgePid(v, capture);
    expect(pid.passed).toBe(false);
    expect(pid.reason).toMatch(/--mount-proc/);
    expect(v.itsProc.length).toBeGreaterThan(20);
    expect(judgeMount(v, capture).passed).toBe(true);
    expect(judgeUts(v, capture).passed).toBe(true);
    expect(judgeUts(v, { ...capture, hostname: 'box-otter-11' }).passed).toBe(false);
    // /tmp in its table is the machine's own tmpfs, seen through the copied mount table.
    expect(judgeMount(v, { ...capture, mountPoint: '/tmp' }).reason).toMatch(/the rest of the machine sees too/);
  });
});

describe.each(['x86_64', 'aarch64'])('the cgroup-limits grader on the %s capture', (arch) => {
  const g = LAB_GRADERS.get('cgroup-limits') as LabGrader;
  const ctx = (seed: string, exec: GuestExec) => ({ arch: arch as 'x86_64', seed, exec, nonce: () => 'n', now: () => 0 });
  const match = seedWhere((s) => cgroupDraw(s).cpuPercent === 20 && cgroupDraw(s).memoryMib === 16);
  const other = seedWhere((s) => cgroupDraw(s).cpuPercent === 30 && cgroupDraw(s).memoryMib === 24);

  it('passes both tasks when the session asked for what the guest enforced', async () => {
    const r = await runChecks(g, ctx(match, cgroupGuest(arch)));
    expect(r.map((x) => [x.taskId, x.passed])).toEqual([
      ['cpu-cap', true],
      ['memory-cap', true],
    ]);
    expect(r[0]?.reason).toMatch(/capped at 20 % by \/lab\/jobs\/capture/);
    expect(r[1]?.evidence[0]?.lines[0]).toContain('oom_memcg=/lab/jobs/capture');
  });

  it('fails both for another session’s ticket, naming the figures', async () => {
    const r = await runChecks(g, ctx(other, cgroupGuest(arch)));
    expect(r.map((x) => x.passed)).toEqual([false, false]);
    expect(r[0]?.reason).toMatch(/20\.0 % of a CPU.*the ticket asks for 30 %/);
    expect(r[1]?.reason).toMatch(/memory\.max 16777216, not 25165824/);
  });

  it('ignores a process that is not the lab’s crunch, and a group whose limit changed since the kill', async () => {
    const r = await runChecks(g, ctx(match, cgroupGuest(arch, { crunchExe: '/home/student/crunch', memoryMax: '20971520' })));
    expect(r[0]?.passed).toBe(false);
    expect(r[0]?.reason).toMatch(/not running/);
    expect(r[1]?.passed).toBe(false);
  });
});

describe('isolation parsers and draws', () => {
  it('parses ns links, NSpid, mountinfo escapes and the topmost mount', () => {
    expect(parseNsLinks('pid:[4026531836]\nmnt:[4026531841]\njunk\n')).toEqual(
      new Map([
        ['pid', 4026531836],
        ['mnt', 4026531841],
      ]),
    );
    expect(parseNsPid('Name:\tx\nNSpid:\t212\t1\n')).toEqual([212, 1]);
    expect(parseNsPid('Name:\tx\n')).toBeNull();
    const m = parseMountInfo(
      '30 1 0:25 / /var/tmp rw - tmpfs tmpfs rw\n47 30 0:29 / /var/tmp rw shared:3 - tmpfs none rw\n50 1 0:30 / /a\\040b rw - tmpfs x rw\nbad line\n',
    );
    expect(m).toHaveLength(3);
    expect(topMountAt(m, '/var/tmp')).toMatchObject({ id: 47, dev: '0:29', propagation: ['shared:3'] });
    expect(m[2]?.mountPoint).toBe('/a b');
  });

  it('refuses cpu.max and OOM lines of the wrong shape', () => {
    expect(parseCpuMax('max 100000')).toEqual({ quota: null, period: 100000 });
    expect(parseCpuMax('25% 100000')).toBeNull();
    expect(parseCpuMax('1000 0')).toBeNull();
    expect(parseOomKills('oom-kill:constraint=CONSTRAINT_NONE,task=x\nhello')).toEqual([]);
    expect(parseCgroupPath('1:cpu:/x\n')).toBeNull();
    expect(() => parseCpuSample('no marker')).toThrow(/incomplete/);
  });

  it('lists the groups from /lab down to the leaf', () => {
    expect(ancestry('/lab/jobs/a/b')).toEqual(['/lab', '/lab/jobs', '/lab/jobs/a', '/lab/jobs/a/b']);
    expect(ancestry('/agent')).toEqual([]);
  });

  it('draws per session, deterministically, and the ticket says what was drawn', () => {
    expect(cgroupDraw('s1')).toEqual(cgroupDraw('s1'));
    const seeds = Array.from({ length: 40 }, (_, i) => `seed-${i}`);
    expect(new Set(seeds.map((s) => JSON.stringify(cgroupDraw(s)))).size).toBeGreaterThan(10);
    expect(new Set(seeds.map((s) => nsDraw(s).hostname)).size).toBeGreaterThan(20);
    const d = cgroupDraw('s1');
    expect(cgroupTicket(d)).toContain(`crunch: at most ${d.cpuPercent}% of one CPU`);
    expect(cgroupTicket(d)).toContain(`bloat: at most ${d.memoryMib} MiB`);
  });
});

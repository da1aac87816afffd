import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type GuestExec,
  type GuestOutput,
  initialConf,
  LAB_GRADERS,
  type LabGrader,
  parseServiceSample,
  runChecks,
  SLOWD,
  sampleScript,
  slowDraw,
} from '@/lib/grader';

/**
 * The slow-service grader on real captures from both guests (scripts/capture-grader-fixtures.ts,
 * CAPTURE_SETS=synthesis): for each drawn cause, the baseline the session records with the
 * service stalling, the Check-time sample once the config is sane, and one with the service stopped.
 */
const fixture = (arch: string, name: string) => readFileSync(path.join('test/fixtures/grader', arch, `${name}.stdout`), 'utf8');
const ok = (stdout: string): GuestOutput => ({ exitCode: 0, signal: 0, timedOut: false, stdout, stderr: '' });
const missing: GuestOutput = { exitCode: 1, signal: 0, timedOut: false, stdout: '', stderr: 'No such file or directory' };
const grader = LAB_GRADERS.get('slow-service') as LabGrader;
const RES = ['cpu', 'memory', 'io'] as const;

function seedFor(cause: (typeof RES)[number]): string {
  for (let i = 0; i < 1000; i++) if (slowDraw(`seed-${i}`).cause === cause) return `seed-${i}`;
  throw new Error('no seed');
}

interface Guest {
  base?: string | null;
  now: string;
  exe?: string;
  cgroup?: string;
}

const guestFor =
  (arch: string, g: Guest): GuestExec =>
  async (argv) => {
    const cmd = argv.join(' ');
    if (cmd === '/bin/cat /run/kmap/slowd.pid') return ok('321\n');
    if (cmd === '/bin/cat /run/kmap/slowd.base') return g.base === null ? missing : ok(fixture(arch, g.base ?? 'x'));
    if (cmd === '/bin/readlink /proc/321/exe') return g.exe === '' ? missing : ok(`${g.exe ?? SLOWD}\n`);
    if (cmd === '/bin/cat /proc/321/cgroup') return ok(`${g.cgroup ?? '0::/lab/svc'}\n`);
    if (argv[0] === '/bin/sh' && argv[2] === sampleScript('321')) return ok(fixture(arch, g.now));
    return missing;
  };

const check = (arch: string, seed: string, g: Guest, answers: Record<string, string>) =>
  runChecks(grader, { arch: arch as 'x86_64', seed, exec: guestFor(arch, g), nonce: () => 'n', now: () => 0 }, answers);

describe.each(['x86_64', 'aarch64'])('slow-service on %s', (arch) => {
  it('reads the stall of the service cgroup from two samples of its pressure files', () => {
    for (const cause of RES) {
      const base = parseServiceSample(fixture(arch, `slowd-base-${cause}`));
      expect(base.share[cause]).toBeGreaterThan(0.6);
      for (const other of RES) if (other !== cause) expect(base.share[other]).toBeLessThan(0.1);
      const fixed = parseServiceSample(fixture(arch, `slowd-sample-fixed-${cause}`));
      expect(Math.max(...RES.map((r) => fixed.share[r]))).toBeLessThan(0.1);
      expect(fixed.switches).toBeGreaterThanOrEqual(10);
    }
    const stopped = parseServiceSample(fixture(arch, 'slowd-sample-stopped'));
    expect(stopped).toMatchObject({ state: 'T', switches: 0 });
    expect(() => parseServiceSample('nothing')).toThrow(/incomplete/);
  });

  it.each(RES)('passes the %s cause only with its answers and a measured fix', async (cause) => {
    const seed = seedFor(cause);
    const drawn = grader.drawnAnswers?.(seed) ?? {};
    const right = { resource: drawn.resource?.truth ?? '', knob: drawn.knob?.truth ?? '' };
    const base = `slowd-base-${cause}`;
    const fixed = await check(arch, seed, { base, now: `slowd-sample-fixed-${cause}` }, right);
    expect(fixed.map((r) => r.passed)).toEqual([true, true, true]);
    expect(fixed[2]?.reason).toMatch(/^Fixed: the \w+ stall went from \d+ % to \d+ %/);
    expect(fixed[2]?.evidence).toHaveLength(2);
    // Another session's answers.
    const other = await check(
      arch,
      seed,
      { base, now: `slowd-sample-fixed-${cause}` },
      {
        resource: drawn.resource?.wrong ?? '',
        knob: drawn.knob?.wrong ?? '',
      },
    );
    expect(other.map((r) => r.passed)).toEqual([false, false, true]);
    // Nothing changed: the sample at Check time still shows the stall.
    const still = await check(arch, seed, { base, now: base }, right);
    expect(still.map((r) => r.passed)).toEqual([true, true, false]);
    expect(still[2]?.reason).toMatch(/still stalls on/);
  });

  it('refuses a stopped, replaced, escaped or unmeasured service', async () => {
    const seed = seedFor('io');
    const right = { resource: 'io', knob: 'read_kb' };
    const base = 'slowd-base-io';
    const stopped = await check(arch, seed, { base, now: 'slowd-sample-stopped' }, right);
    expect(stopped[2]).toMatchObject({ passed: false, reason: expect.stringMatching(/not serving requests \(state T/) });
    const gone = await check(arch, seed, { base, now: 'slowd-sample-fixed-io', exe: '' }, right);
    expect(gone[2]).toMatchObject({ passed: false, reason: expect.stringMatching(/not running any more/) });
    const fake = await check(arch, seed, { base, now: 'slowd-sample-fixed-io', exe: '/home/student/slowd' }, right);
    expect(fake[2]?.passed).toBe(false);
    const escaped = await check(arch, seed, { base, now: 'slowd-sample-fixed-io', cgroup: '0::/lab/shell' }, right);
    expect(escaped[2]).toMatchObject({ passed: false, reason: expect.stringMatching(/left its cgroup/) });
    // A stall moved to another resource is no fix: the memory baseline as the Check-time sample.
    const moved = await check(arch, seed, { base, now: 'slowd-base-memory' }, right);
    expect(moved[2]).toMatchObject({ passed: false, reason: expect.stringMatching(/now the service stalls on memory/) });
    // No baseline recorded (or not the drawn stall): nothing can be confirmed.
    const none = await check(arch, seed, { base: null, now: 'slowd-sample-fixed-io' }, right);
    expect(none.map((r) => r.passed)).toEqual([false, true, false]);
    const notDrawn = await check(arch, seed, { base: 'slowd-base-cpu', now: 'slowd-sample-fixed-io' }, right);
    expect(notDrawn.map((r) => r.passed)).toEqual([false, true, false]);
  });
});

describe('slow-service draws', () => {
  it('sets exactly the drawn knob past its limit and every cause is drawn', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 60; i++) seen.add(slowDraw(`s${i}`).cause);
    expect([...seen].sort()).toEqual(['cpu', 'io', 'memory']);
    expect(initialConf('io')).toContain('read_kb=1024\n');
    expect(initialConf('io')).toContain('scratch_mb=1\n');
    expect(initialConf('cpu')).toContain('hash_rounds=5000000\n');
    expect(() => sampleScript('1; rm -rf /')).toThrow(/not a pid/);
  });
});

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { echodLimits, LAB_GRADERS, limitFlags, limitHit, parseLoadRun, parseSha256sum, ringCounts, tallyBytes } from '@/lib/grader';

/**
 * The io-uring-batching, zero-copy and epoll-threads graders' parsers and decisions on real
 * captures from both guests (scripts/capture-grader-fixtures.ts, CAPTURE_SETS=servers): ringread
 * under perf stat with each engine, filesrv under the grader's strace with each method, and
 * echod's thread model stopped by each kind of limit (and its epoll loop) under the grader's load.
 */
const fixture = (arch: string, name: string) => readFileSync(path.join('test/fixtures/grader', arch, name), 'utf8');
const ARCHES = ['x86_64', 'aarch64'] as const;

describe('io-uring-batching: counts from perf stat', () => {
  for (const arch of ARCHES)
    it(`${arch}: read(2) per block, one request per enter, and batches of 32`, () => {
      expect(ringCounts(fixture(arch, 'ringread-perf-read.stdout'))).toEqual({ enters: 0, reads: 258, completions: 0 });
      expect(ringCounts(fixture(arch, 'ringread-perf-uring-1.stdout'))).toEqual({ enters: 256, reads: 2, completions: 256 });
      expect(ringCounts(fixture(arch, 'ringread-perf-uring-32.stdout'))).toEqual({ enters: 8, reads: 2, completions: 256 });
    });
  it('throws when perf counted nothing (a fake perf, or an event the kernel lacks)', () => {
    expect(() => ringCounts('8,,syscalls:sys_enter_io_uring_enter,1000,100.00,,\n')).toThrow(/did not count/);
  });
  it('reads a sha256sum pair', () => {
    const sums = parseSha256sum(fixture('x86_64', 'sha256sum-pair.stdout'));
    expect(sums).toHaveLength(2);
    expect(sums[0]).toBe(sums[1]);
  });
});

describe('zero-copy: bytes through user space, from strace', () => {
  for (const arch of ARCHES)
    it(`${arch}: read/write and mmap copy the whole file, sendfile and splice none of it`, () => {
      const MiB = 1024 * 1024;
      const rw = tallyBytes(fixture(arch, 'filesrv-strace-readwrite.stdout'));
      expect(rw.userBytes).toBeGreaterThanOrEqual(2 * MiB);
      expect(rw.kernelBytes).toBe(0);
      const mm = tallyBytes(fixture(arch, 'filesrv-strace-mmap.stdout'));
      expect(mm.calls.get('write')?.bytes).toBeGreaterThanOrEqual(MiB);
      const sf = tallyBytes(fixture(arch, 'filesrv-strace-sendfile.stdout'));
      expect(sf.userBytes).toBeLessThan(200);
      expect(sf.calls.get('sendfile')?.bytes).toBe(MiB);
      const sp = tallyBytes(fixture(arch, 'filesrv-strace-splice.stdout'));
      expect(sp.userBytes).toBeLessThan(200);
      expect(sp.calls.get('splice')?.bytes).toBe(2 * MiB);
    });
});

describe('epoll-threads: which limit stopped the thread model', () => {
  for (const arch of ARCHES)
    it(`${arch}: open files, threads and memory each recognised from the peak against /proc/PID/limits`, () => {
      for (const kind of ['open-files', 'threads', 'memory'] as const) {
        const { report, limits } = parseLoadRun(fixture(arch, `echod-load-${kind}.stdout`));
        expect(report?.served).toBeLessThan(300);
        expect(limits).not.toBeNull();
        if (!report || !limits) continue;
        expect(limitHit(report, limits)).toBe(kind === 'open-files' ? 'open files' : kind);
      }
      const epoll = parseLoadRun(fixture(arch, 'echod-load-epoll.stdout'));
      expect(epoll.report).toMatchObject({ conns: 300, served: 300, peak: { threads: 1 } });
      if (epoll.report && epoll.limits) expect(limitHit(epoll.report, epoll.limits)).toBeNull();
    });
  it('draws one tight limit per session, the others loose and under the guest hard limits', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 60; i++) {
      const l = echodLimits(`seed-${i}`);
      seen.add(l.tight);
      expect(l.nproc).toBeLessThanOrEqual(400);
      expect([l.nofile < 300, l.nproc < 300, l.asMib < 2000].filter(Boolean)).toHaveLength(1);
      expect(limitFlags(l)).toMatch(/^--nofile \d+ --nproc \d+ --as-mib \d+$/);
    }
    expect(seen).toEqual(new Set(['open files', 'threads', 'memory']));
    const g = LAB_GRADERS.get('epoll-threads');
    const d = g?.drawnAnswers?.('abc')['first-limit'];
    expect(d?.truth).toBe(echodLimits('abc').tight);
    expect(d?.wrong).not.toBe(d?.truth);
  });
});

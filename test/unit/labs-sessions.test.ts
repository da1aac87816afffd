import { describe, expect, it } from 'vitest';
import type { AppError } from '@/lib/errors';
import { toAppError } from '@/lib/labs/errors';
import {
  type ConsoleStream,
  type EndReason,
  type LabBackend,
  LabError,
  LabSessionManager,
  LabsFullError,
  type LabVm,
  LearnerLimitError,
  type SessionInfo,
  type SessionRecorder,
  type VmStatus,
} from '@/lib/vm';

/** A backend whose VMs are plain objects: the manager's rules, without QEMU. */
function fakeBackend(clock: { now: number }): LabBackend & { stopped: EndReason[] } {
  const stopped: EndReason[] = [];
  return {
    name: 'fake',
    stopped,
    async start(spec, id) {
      let ended: VmStatus | null = null;
      const listeners: ((s: VmStatus) => void)[] = [];
      const console: ConsoleStream = {
        onData: () => () => {},
        write: () => true,
        pause: () => {},
        resume: () => {},
        scrollback: () => Buffer.alloc(0),
        bytesReceived: 0,
        lastInputAt: clock.now,
        waitFor: async () => {},
      };
      const vm: LabVm = {
        id,
        arch: spec.arch,
        setupFromSnapshot: false,
        console,
        exec: async () => ({
          exitCode: 0,
          signal: 0,
          timedOut: false,
          stdout: '',
          stderr: '',
          stdoutTruncated: false,
          stderrTruncated: false,
          durationMs: 0,
        }),
        resize: async () => {},
        powerCut: async () => {},
        readDiskFile: async () => null,
        status: () => ended ?? { state: 'running', startedAt: 0 },
        onEnd: (l) => {
          listeners.push(l);
          return () => {};
        },
        stop: async (reason = 'stopped') => {
          stopped.push(reason);
          ended = { state: 'ended', reason, startedAt: 0 };
          for (const l of listeners) l(ended);
        },
        hostMemory: async () => null,
      };
      return vm;
    },
    async shutdown() {},
  };
}

const min = 60_000;

describe('LabSessionManager', () => {
  it('allows one session per learner and names the one to resume', async () => {
    const clock = { now: 1_000_000 };
    const m = new LabSessionManager({ backend: fakeBackend(clock), globalCap: 10, reapIntervalMs: 0, now: () => clock.now });
    const s = await m.start({ learnerId: 'alice', labId: 'hello', arch: 'x86_64' });
    const err = await m.start({ learnerId: 'alice', labId: 'hello', arch: 'aarch64' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LearnerLimitError);
    expect((err as LearnerLimitError).sessionIds).toEqual([s.id]);
    expect((toAppError(err) as AppError).status).toBe(409);
  });

  it('answers "labs are full" with an estimated wait when the global cap is reached', async () => {
    const clock = { now: 1_000_000 };
    const m = new LabSessionManager({
      backend: fakeBackend(clock),
      globalCap: 2,
      reapIntervalMs: 0,
      now: () => clock.now,
      idleMs: 15 * min,
    });
    await m.start({ learnerId: 'a', labId: 'hello', arch: 'x86_64' });
    await m.start({ learnerId: 'b', labId: 'hello', arch: 'x86_64' });
    clock.now += 5 * min;
    const err = await m.start({ learnerId: 'c', labId: 'hello', arch: 'x86_64' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LabsFullError);
    expect((err as LabsFullError).retryAfterMinutes).toBe(10);
    expect((err as LabsFullError).message).toBe('Labs are full — try again in about 10 min.');
  });

  it('counts a session that is still starting against the caps (no overshoot on concurrent starts)', async () => {
    const clock = { now: 0 };
    const m = new LabSessionManager({ backend: fakeBackend(clock), globalCap: 1, reapIntervalMs: 0, now: () => clock.now });
    const results = await Promise.allSettled([
      m.start({ learnerId: 'a', labId: 'hello', arch: 'x86_64' }),
      m.start({ learnerId: 'b', labId: 'hello', arch: 'x86_64' }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
  });

  it('reaps idle and expired sessions with the reason, and extension moves the TTL', async () => {
    const clock = { now: 0 };
    const backend = fakeBackend(clock);
    const m = new LabSessionManager({ backend, globalCap: 5, reapIntervalMs: 0, now: () => clock.now, ttlMs: 60 * min, idleMs: 15 * min });
    const a = await m.start({ learnerId: 'a', labId: 'hello', arch: 'x86_64' });
    clock.now = 15 * min;
    expect(await m.reap()).toEqual([a.id]);
    expect(a.info()).toMatchObject({ state: 'ended', endReason: 'idle' });
    const b = await m.start({ learnerId: 'b', labId: 'hello', arch: 'x86_64' });
    expect((await m.extend('b', b.id, 30 * min)).expiresAt).toBe(15 * min + 90 * min);
    expect(backend.stopped).toEqual(['idle']);
  });

  it("refuses another learner's session id, malformed ids and hostile specs", async () => {
    const clock = { now: 0 };
    const m = new LabSessionManager({ backend: fakeBackend(clock), globalCap: 5, reapIntervalMs: 0, now: () => clock.now });
    const s = await m.start({ learnerId: 'alice', labId: 'hello', arch: 'x86_64' });
    expect(() => m.getForLearner('mallory', s.id)).toThrow(LabError);
    expect(() => m.getForLearner('alice', '../../etc/passwd')).toThrow(/no such lab session/);
    expect(m.getForLearner('alice', s.id).id).toBe(s.id);
    const hostile: unknown[] = [
      { learnerId: 'x', labId: '../etc', arch: 'x86_64' },
      { learnerId: 'x', labId: 'hello;rm -rf /', arch: 'x86_64' },
      { learnerId: 'x', labId: '-hello', arch: 'x86_64' },
      { learnerId: 'x', labId: 'a'.repeat(49), arch: 'x86_64' },
      { learnerId: 'x', labId: 'hello', arch: 'x86_64,accel=kvm' },
      { learnerId: 'x', labId: 'hello', arch: 'riscv64' },
      { learnerId: 'x', labId: 'hello', arch: 'x86_64', user: 'agent' },
      { learnerId: 'x y', labId: 'hello', arch: 'x86_64' },
    ];
    for (const spec of hostile) {
      const err = await m.start(spec as never).catch((e: unknown) => e);
      expect(err, JSON.stringify(spec)).toBeInstanceOf(LabError);
      expect((err as LabError).code).toBe('invalid_request');
    }
  });

  // One trip down: restore → prepare (the lab's setup) → record → running. Nothing attaches
  // before the end of it, and nothing that failed on the way keeps holding a slot.
  describe('lifecycle', () => {
    const spec = { learnerId: 'alice', labId: 'hello', arch: 'x86_64' } as const;
    function recorder(fail: Partial<Record<keyof SessionRecorder, boolean>> = {}) {
      const log: string[] = [];
      const r: SessionRecorder = {
        started: async (i: SessionInfo) => {
          log.push(`started ${i.state}`);
          if (fail.started) throw new Error('database is down');
        },
        extended: async () => {
          log.push('extended');
          if (fail.extended) throw new Error('database is down');
        },
        ended: async (_i: SessionInfo, st: VmStatus) => {
          log.push(`ended ${st.reason}`);
        },
      };
      return { r, log };
    }

    it('runs setup while the session is still starting: no terminal can attach until it is done', async () => {
      const clock = { now: 0 };
      const { r, log } = recorder();
      const m = new LabSessionManager({ backend: fakeBackend(clock), globalCap: 5, reapIntervalMs: 0, now: () => clock.now, recorder: r });
      let release = () => {};
      const setupDone = new Promise<void>((res) => {
        release = res;
      });
      let seenDuringSetup: { state: string; attach: unknown } | null = null;
      const starting = m.start(spec, {
        prepare: async () => {
          const [info] = m.listForLearner('alice');
          let attach: unknown = null;
          try {
            m.getForLearner('alice', info?.id ?? '');
          } catch (e) {
            attach = e;
          }
          seenDuringSetup = { state: info?.state ?? 'none', attach };
          await setupDone;
        },
      });
      await new Promise((res) => setTimeout(res, 10));
      const reloaded = m.whenReady('alice', m.listForLearner('alice')[0]?.id ?? '');
      release();
      const s = await starting;
      expect(seenDuringSetup).toMatchObject({ state: 'starting' });
      expect((seenDuringSetup as unknown as { attach: LabError }).attach).toBeInstanceOf(LabError);
      expect((await reloaded).id).toBe(s.id);
      expect(s.info().state).toBe('running');
      expect(log).toEqual(['started starting']);
    });

    it('a failing setup stops the VM, frees the slot and is not recorded', async () => {
      const clock = { now: 0 };
      const backend = fakeBackend(clock);
      const { r, log } = recorder();
      const m = new LabSessionManager({ backend, globalCap: 5, reapIntervalMs: 0, now: () => clock.now, recorder: r });
      const err = await m
        .start(spec, {
          prepare: async () => {
            throw new Error('setup exit 2');
          },
        })
        .catch((e: unknown) => e);
      expect((err as Error).message).toBe('setup exit 2');
      expect(backend.stopped).toEqual(['stopped']);
      expect(m.listForLearner('alice')).toEqual([]);
      expect(log).toEqual([]);
      await expect(m.start(spec)).resolves.toMatchObject({ learnerId: 'alice' });
    });

    it('a failed database write after the VM started stops that VM instead of holding the slot', async () => {
      const clock = { now: 0 };
      const backend = fakeBackend(clock);
      const { r } = recorder({ started: true });
      const m = new LabSessionManager({ backend, globalCap: 5, reapIntervalMs: 0, now: () => clock.now, recorder: r });
      await expect(m.start(spec)).rejects.toThrow('database is down');
      expect(backend.stopped).toEqual(['stopped']);
      expect(m.stats().live).toBe(0);
    });

    it('an extension that took effect succeeds even when recording it fails; the end is recorded once', async () => {
      const clock = { now: 0 };
      const { r, log } = recorder({ extended: true });
      const m = new LabSessionManager({
        backend: fakeBackend(clock),
        globalCap: 5,
        reapIntervalMs: 0,
        now: () => clock.now,
        ttlMs: 60 * min,
        recorder: r,
      });
      const s = await m.start(spec);
      await expect(m.extend('alice', s.id, 30 * min)).resolves.toMatchObject({ expiresAt: 90 * min });
      await m.stop('alice', s.id);
      await m.stop('alice', s.id).catch(() => {});
      expect(log).toEqual(['started starting', 'extended', 'ended stopped']);
    });
  });
});

describe('LabSessionManager and the daily allowance (issue 8)', () => {
  it('never lets a session, extensions included, outlast the time the learner has left today', async () => {
    const clock = { now: 1_000_000 };
    const m = new LabSessionManager({ backend: fakeBackend(clock), globalCap: 10, reapIntervalMs: 0, now: () => clock.now });
    const s = await m.start({ learnerId: 'alice', labId: 'hello', arch: 'x86_64' }, { maxMs: 40 * min });
    expect(s.info().expiresAt).toBe(clock.now + 40 * min);
    const extended = await m.extend('alice', s.id);
    expect(extended.expiresAt).toBe(1_000_000 + 40 * min);
    clock.now += 40 * min;
    expect(await m.reap()).toEqual([s.id]);
  });
});

describe('LabSessionManager: vCPUs and scratch VMs against the global cap (issue 11)', () => {
  const tick = () => new Promise((r) => setTimeout(r, 5));
  const settledFlag = <T>(p: Promise<T>) => {
    const state = { done: false, value: undefined as T | undefined, error: undefined as unknown };
    p.then(
      (v) => {
        state.done = true;
        state.value = v;
      },
      (e: unknown) => {
        state.done = true;
        state.error = e;
      },
    );
    return state;
  };

  it('counts a session by its vCPUs, and lets one bigger than the cap run alone', async () => {
    const clock = { now: 0 };
    const m = new LabSessionManager({ backend: fakeBackend(clock), globalCap: 3, reapIntervalMs: 0, now: () => clock.now });
    await m.start({ learnerId: 'a', labId: 'futex-contention', arch: 'x86_64', vcpus: 2 });
    const b = await m.start({ learnerId: 'b', labId: 'hello', arch: 'x86_64' });
    expect(m.stats()).toMatchObject({ live: 2, vcpus: 3, cap: 3 });
    await expect(m.start({ learnerId: 'c', labId: 'hello', arch: 'x86_64' })).rejects.toBeInstanceOf(LabsFullError);
    await b.vm.stop();
    await expect(m.start({ learnerId: 'c', labId: 'futex-contention', arch: 'x86_64', vcpus: 2 })).rejects.toBeInstanceOf(LabsFullError);
    await m.start({ learnerId: 'c', labId: 'hello', arch: 'x86_64' });

    const tiny = new LabSessionManager({ backend: fakeBackend(clock), globalCap: 1, reapIntervalMs: 0, now: () => clock.now });
    await tiny.start({ learnerId: 'a', labId: 'futex-contention', arch: 'x86_64', vcpus: 2 });
    expect(tiny.stats()).toMatchObject({ live: 1, vcpus: 1 });
    await expect(tiny.start({ learnerId: 'b', labId: 'hello', arch: 'x86_64' })).rejects.toBeInstanceOf(LabsFullError);
  });

  it('gives a Check its scratch VM when learners fill the cap (the reserve), and scratch VMs take turns there', async () => {
    const clock = { now: 0 };
    const m = new LabSessionManager({
      backend: fakeBackend(clock),
      globalCap: 2,
      scratchReserve: 1,
      reapIntervalMs: 0,
      now: () => clock.now,
    });
    const a = await m.start({ learnerId: 'a', labId: 'durable-write', arch: 'x86_64' });
    await m.start({ learnerId: 'b', labId: 'durable-write', arch: 'x86_64' });
    await expect(m.start({ learnerId: 'c', labId: 'hello', arch: 'x86_64' })).rejects.toBeInstanceOf(LabsFullError);

    const first = await m.startScratch({ learnerId: 'grader', labId: 'durable-write', arch: 'x86_64', disk: {} });
    expect(m.stats()).toMatchObject({ live: 2, scratch: 1, vcpus: 3 });
    const second = settledFlag(m.startScratch({ learnerId: 'grader', labId: 'durable-write', arch: 'x86_64', disk: {} }));
    await tick();
    expect(second.done).toBe(false);
    expect(m.stats()).toMatchObject({ scratch: 1, scratchWaiting: 1, vcpus: 3 });

    await first.stop();
    await tick();
    expect(second.done).toBe(true);
    expect(second.error).toBeUndefined();
    expect(m.stats()).toMatchObject({ scratch: 1, scratchWaiting: 0, vcpus: 3 });
    await second.value?.stop();
    expect(m.stats()).toMatchObject({ scratch: 0, vcpus: 2 });

    // A learner leaving frees learner capacity, not the reserve's.
    await a.vm.stop();
    await m.start({ learnerId: 'c', labId: 'hello', arch: 'x86_64' });
  });

  it('lets scratch VMs use free learner capacity beyond the reserve, which learners then wait for', async () => {
    const clock = { now: 0 };
    const m = new LabSessionManager({
      backend: fakeBackend(clock),
      globalCap: 2,
      scratchReserve: 1,
      reapIntervalMs: 0,
      now: () => clock.now,
    });
    await m.start({ learnerId: 'a', labId: 'hello', arch: 'x86_64' });
    const s1 = await m.startScratch({ learnerId: 'grader', labId: 'durable-write', arch: 'x86_64', disk: {} });
    // The first scratch VM sits in the reserve: the learner cap is untouched.
    const b = await m.start({ learnerId: 'b', labId: 'hello', arch: 'x86_64' });
    await b.vm.stop();
    const s2 = await m.startScratch({ learnerId: 'grader', labId: 'durable-write', arch: 'x86_64', disk: {} });
    expect(m.stats()).toMatchObject({ live: 1, scratch: 2, vcpus: 3 });
    await expect(m.start({ learnerId: 'b', labId: 'hello', arch: 'x86_64' })).rejects.toBeInstanceOf(LabsFullError);
    await s2.stop();
    await m.start({ learnerId: 'b', labId: 'hello', arch: 'x86_64' });
    await s1.stop();
    expect(m.stats()).toMatchObject({ live: 2, scratch: 0, vcpus: 2 });
  });

  it('fails a scratch VM that waited too long with "labs are full", and frees a slot whose start failed', async () => {
    const clock = { now: 0 };
    const backend = fakeBackend(clock);
    const m = new LabSessionManager({
      backend,
      globalCap: 1,
      scratchReserve: 1,
      scratchWaitMs: 20,
      reapIntervalMs: 0,
      now: () => clock.now,
    });
    await m.start({ learnerId: 'a', labId: 'durable-write', arch: 'x86_64' });
    const held = await m.startScratch({ learnerId: 'grader', labId: 'durable-write', arch: 'x86_64', disk: {} });
    await expect(m.startScratch({ learnerId: 'grader', labId: 'durable-write', arch: 'x86_64', disk: {} })).rejects.toBeInstanceOf(
      LabsFullError,
    );
    expect(m.stats()).toMatchObject({ scratch: 1, scratchWaiting: 0 });
    await held.stop();

    const start = backend.start.bind(backend);
    backend.start = async () => {
      throw new LabError('start_failed', 'no QEMU');
    };
    await expect(m.startScratch({ learnerId: 'grader', labId: 'durable-write', arch: 'x86_64', disk: {} })).rejects.toThrow(/no QEMU/);
    expect(m.stats()).toMatchObject({ scratch: 0, vcpus: 1 });
    backend.start = start;
    await m.startScratch({ learnerId: 'grader', labId: 'durable-write', arch: 'x86_64', disk: {} });
  });
});

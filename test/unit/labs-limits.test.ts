import { describe, expect, it } from 'vitest';
import { estimateWaitMinutes, extendedExpiry, globalSessionCap, limitReached } from '@/lib/vm';

const GiB = 1024 ** 3;
const min = 60_000;

describe('globalSessionCap', () => {
  it('is bounded by CPU on this kind of machine (2 cores, 24 GiB)', () => {
    expect(globalSessionCap({ totalMemoryBytes: 24 * GiB, cpuCount: 2 })).toEqual({ cap: 20, byMemory: 64, byCpu: 20 });
  });
  it('is bounded by memory on a small-memory host, and never below 1', () => {
    expect(globalSessionCap({ totalMemoryBytes: 4 * GiB, cpuCount: 16 }).cap).toBe(5);
    expect(globalSessionCap({ totalMemoryBytes: 1 * GiB, cpuCount: 1 }).cap).toBe(1);
  });
  it('follows a custom policy', () => {
    expect(
      globalSessionCap({ totalMemoryBytes: 24 * GiB, cpuCount: 2 }, { worstCaseSessionMiB: 512, reserveMiB: 0, sessionsPerCore: 100 }).cap,
    ).toBe(48);
  });
});

describe('time limits', () => {
  const now = 1_800_000_000_000;
  it('ends a session at its TTL or after the idle limit', () => {
    expect(limitReached({ expiresAt: now + 1, lastInputAt: now }, { idleMs: 15 * min }, now)).toBeNull();
    expect(limitReached({ expiresAt: now, lastInputAt: now }, { idleMs: 15 * min }, now)).toBe('ttl');
    expect(limitReached({ expiresAt: now + 60 * min, lastInputAt: now - 15 * min }, { idleMs: 15 * min }, now)).toBe('idle');
  });

  it('estimates the wait from the session that ends soonest, rounded up, at least 1 minute', () => {
    const sessions = [
      { expiresAt: now + 50 * min, lastInputAt: now },
      { expiresAt: now + 30 * min, lastInputAt: now - 10 * min + 1 },
    ];
    expect(estimateWaitMinutes(sessions, { idleMs: 15 * min }, now)).toBe(6);
    expect(estimateWaitMinutes([{ expiresAt: now, lastInputAt: now }], { idleMs: 15 * min }, now)).toBe(1);
  });

  it('extends the TTL but not past the maximum lifetime', () => {
    const created = now - 50 * min;
    expect(extendedExpiry(created, now + 10 * min, 30 * min, 180 * min, now)).toBe(now + 40 * min);
    expect(extendedExpiry(created, now + 10 * min, 300 * min, 180 * min, now)).toBe(created + 180 * min);
  });
});

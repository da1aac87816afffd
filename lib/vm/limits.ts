/**
 * Capacity and time limits for lab sessions. Pure: takes host figures and `now` as arguments.
 *
 * Global cap = max(1, min(byMemory, byCpu)), where
 *   byMemory = floor((host RAM − reserve) / worst-case memory per session)
 *   byCpu    = cores × sessionsPerCore
 * Worst case per session is the guest RAM cap (a VM that touched all its memory) plus QEMU's own
 * overhead; an idle restored VM uses far less (bench:labs measures it), but admission must hold
 * when every learner runs a memory hog. CPU is the tighter bound under TCG: one busy guest takes
 * a whole core, and agent round trips on idle VMs slow down as busy ones pile up
 * (notes: 94 ms with 2 busy, 215 ms with 6 busy of 20 on 2 cores). sessionsPerCore = 10 assumes
 * most sessions sit at a prompt, as they do while a learner reads and types.
 */

export interface HostResources {
  totalMemoryBytes: number;
  cpuCount: number;
}

export interface CapacityPolicy {
  /** Guest RAM cap + QEMU overhead, MiB. */
  worstCaseSessionMiB: number;
  /** Memory kept for the server, the database and the host, MiB. */
  reserveMiB: number;
  sessionsPerCore: number;
}

export const DEFAULT_CAPACITY_POLICY: CapacityPolicy = {
  worstCaseSessionMiB: 256 + 96,
  reserveMiB: 2048,
  sessionsPerCore: 10,
};

export interface Capacity {
  cap: number;
  byMemory: number;
  byCpu: number;
}

export function globalSessionCap(host: HostResources, policy: CapacityPolicy = DEFAULT_CAPACITY_POLICY): Capacity {
  const totalMiB = host.totalMemoryBytes / (1024 * 1024);
  const byMemory = Math.max(0, Math.floor((totalMiB - policy.reserveMiB) / policy.worstCaseSessionMiB));
  const byCpu = Math.max(0, Math.floor(host.cpuCount * policy.sessionsPerCore));
  return { cap: Math.max(1, Math.min(byMemory, byCpu)), byMemory, byCpu };
}

export interface SessionClock {
  /** Hard end (ms since epoch): created + TTL + extensions. */
  expiresAt: number;
  /** Last keystroke (ms since epoch). */
  lastInputAt: number;
}

export interface TimeLimits {
  idleMs: number;
}

/** Why a session must end now, or null while it may go on. */
export function limitReached(s: SessionClock, limits: TimeLimits, now: number): 'ttl' | 'idle' | null {
  if (now >= s.expiresAt) return 'ttl';
  if (now - s.lastInputAt >= limits.idleMs) return 'idle';
  return null;
}

/** When the session will be ended by a limit if nothing changes (ms since epoch). */
export function nextEnd(s: SessionClock, limits: TimeLimits): number {
  return Math.min(s.expiresAt, s.lastInputAt + limits.idleMs);
}

/**
 * Minutes until a slot is expected to free up: the soonest any running session hits its TTL or
 * idle limit. Pessimistic (learners often stop earlier) and never below 1.
 */
export function estimateWaitMinutes(sessions: readonly SessionClock[], limits: TimeLimits, now: number): number {
  if (sessions.length === 0) return 1;
  const soonest = Math.min(...sessions.map((s) => nextEnd(s, limits)));
  return Math.max(1, Math.ceil((soonest - now) / 60_000));
}

/** New expiry after an extension, never beyond `maxTotalMs` after creation. */
export function extendedExpiry(createdAt: number, expiresAt: number, byMs: number, maxTotalMs: number, now: number): number {
  return Math.min(createdAt + maxTotalMs, Math.max(expiresAt, now) + byMs);
}

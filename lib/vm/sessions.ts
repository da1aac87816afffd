import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { formatIssues } from '@/lib/schema';
import type { EndReason, LabBackend, LabVm, VmStatus } from './backend';
import { LabError, LabsFullError, LearnerLimitError } from './errors';
import { type CapacityPolicy, estimateWaitMinutes, extendedExpiry, globalSessionCap, limitReached } from './limits';
import { type Arch, LearnerIdSchema, SessionIdSchema, type SessionSpecInput, SessionSpecSchema } from './schema';

export interface SessionManagerOptions {
  backend: LabBackend;
  /** Sessions one learner may hold at once (default 1). */
  maxPerLearner?: number;
  /**
   * vCPUs of learners' VMs on this host at once (a 1-vCPU session counts one, a 2-vCPU session
   * two); default: the host's cap from memory and cores (limits.ts) minus `scratchReserve`.
   */
  globalCap?: number;
  /**
   * vCPUs kept for graders' scratch VMs on top of `globalCap` (default 1), so a Check that needs
   * one never waits on learners' sessions: with every learner slot taken, scratch VMs take turns
   * in the reserve (they live seconds). Scratch VMs also use free learner capacity when there is any.
   */
  scratchReserve?: number;
  /** How long a scratch VM may wait for a slot before the Check fails with "labs are full" (default 120 s). */
  scratchWaitMs?: number;
  capacityPolicy?: CapacityPolicy;
  /** Lifetime before extensions (default 60 min). */
  ttlMs?: number;
  /** Longest total lifetime with extensions (default 3 h). */
  maxLifetimeMs?: number;
  /** No keystroke for this long ends the session (default 15 min). */
  idleMs?: number;
  /** How often limits are checked (default 15 s; 0 disables the timer, call reap() yourself). */
  reapIntervalMs?: number;
  now?: () => number;
  /** Where the session's life is recorded (lib/labs writes it to the database). */
  recorder?: SessionRecorder;
}

/**
 * The events a session's life emits, in order: started (once, before the session is visible as
 * running), extended (any number), ended (once). The manager awaits `started` as part of the
 * start: if recording fails, the VM is stopped and the start fails, so an unrecorded VM never
 * holds a learner's slot. `extended` and `ended` failures are the recorder's to log — the VM's
 * state has already changed and the learner must not see an error for it.
 */
export interface SessionRecorder {
  started(info: SessionInfo): Promise<void>;
  extended(info: SessionInfo): Promise<void>;
  ended(info: SessionInfo, status: VmStatus): Promise<void>;
}

/** Per-start options. */
export interface StartOptions {
  /**
   * Runs after the VM is up and before anyone can attach to it (the lab's setup script). A throw
   * stops the VM, frees the slot and fails the start with that error.
   */
  prepare?: (vm: LabVm) => Promise<void>;
  /**
   * The most this session may run, extensions included (what is left of the learner's daily lab
   * time — lib/labs decides). The session's TTL never goes past it.
   */
  maxMs?: number;
}

export type SessionState = 'starting' | 'running' | 'ended';

/** What the terminal and the lab page show about a session. */
export interface SessionInfo {
  id: string;
  learnerId: string;
  labId: string;
  arch: Arch;
  state: SessionState;
  endReason?: EndReason;
  createdAt: number;
  expiresAt: number;
  /** Milliseconds until the TTL or the idle limit ends it, whichever comes first. */
  msLeft: number;
  startMs?: number;
}

/** A running (or just ended) lab session. `vm.console` is the terminal's stream. */
export interface LabSession {
  readonly id: string;
  readonly learnerId: string;
  readonly labId: string;
  readonly arch: Arch;
  readonly vm: LabVm;
  info(): SessionInfo;
}

interface Entry {
  id: string;
  learnerId: string;
  labId: string;
  arch: Arch;
  /** What it counts against the cap: its vCPUs. */
  cost: number;
  createdAt: number;
  expiresAt: number;
  /** No TTL or extension goes past this (the learner's remaining daily lab time). */
  hardEnd: number;
  vm?: LabVm;
  /** Set once prepare and the start record are done: only then can a terminal attach. */
  ready: boolean;
  /** Settles when the start finished (ready, or failed and removed). */
  settled: Promise<void>;
  ended?: VmStatus;
}

/**
 * Admits, tracks and ends lab sessions: one per learner by default, a global cap, a TTL that can
 * be extended and an idle limit. Ended sessions are remembered for 10 minutes so a reconnecting
 * terminal can say why its VM is gone.
 */
export class LabSessionManager {
  private readonly entries = new Map<string, Entry>();
  /** Scratch VMs starting or running, by id → vCPUs. */
  private readonly scratch = new Map<string, number>();
  /** Scratch VMs waiting for a slot, first come first served. */
  private readonly scratchQueue: { cost: number; admit: () => void }[] = [];
  private readonly backend: LabBackend;
  private readonly maxPerLearner: number;
  readonly globalCap: number;
  readonly scratchReserve: number;
  private readonly scratchWaitMs: number;
  private readonly ttlMs: number;
  private readonly maxLifetimeMs: number;
  private readonly idleMs: number;
  private readonly now: () => number;
  private readonly recorder: SessionRecorder | undefined;
  private readonly timer: NodeJS.Timeout | undefined;

  constructor(opts: SessionManagerOptions) {
    this.backend = opts.backend;
    this.maxPerLearner = opts.maxPerLearner ?? 1;
    this.scratchReserve = Math.max(0, opts.scratchReserve ?? 1);
    this.scratchWaitMs = opts.scratchWaitMs ?? 120_000;
    this.globalCap =
      opts.globalCap ??
      Math.max(
        1,
        globalSessionCap({ totalMemoryBytes: os.totalmem(), cpuCount: os.availableParallelism() }, opts.capacityPolicy).cap -
          this.scratchReserve,
      );
    this.ttlMs = opts.ttlMs ?? 60 * 60_000;
    this.maxLifetimeMs = opts.maxLifetimeMs ?? 3 * 60 * 60_000;
    this.idleMs = opts.idleMs ?? 15 * 60_000;
    this.now = opts.now ?? Date.now;
    this.recorder = opts.recorder;
    const every = opts.reapIntervalMs ?? 15_000;
    if (every > 0) {
      this.timer = setInterval(() => void this.reap(), every);
      this.timer.unref();
    }
  }

  private live(): Entry[] {
    return [...this.entries.values()].filter((e) => !e.ended);
  }

  /** vCPUs of every VM this manager holds: learners' sessions (starting or running) and scratch VMs. */
  private usedVcpus(): number {
    return this.learnerVcpus() + this.scratchVcpus();
  }

  private learnerVcpus(): number {
    return this.live().reduce((n, e) => n + e.cost, 0);
  }

  private scratchVcpus(): number {
    return [...this.scratch.values()].reduce((n, c) => n + c, 0);
  }

  /**
   * What learners' sessions may still take: scratch VMs sit in the reserve first and use learner
   * capacity only beyond it, so the total never passes globalCap + scratchReserve.
   */
  private learnerRoom(): number {
    return this.globalCap - this.learnerVcpus() - Math.max(0, this.scratchVcpus() - this.scratchReserve);
  }

  private scratchFits(cost: number): boolean {
    return this.usedVcpus() + cost <= this.globalCap + this.scratchReserve;
  }

  /** A slot may have freed up: admit waiting scratch VMs in order while they fit. */
  private drainScratchQueue(): void {
    for (let next = this.scratchQueue[0]; next && this.scratchFits(next.cost); next = this.scratchQueue[0]) {
      this.scratchQueue.shift();
      next.admit();
    }
  }

  /**
   * Starts a session: admit (caps), restore the VM, `prepare` it, record the start — and only
   * then is it `running` and reachable through `getForLearner`. Throws LearnerLimitError,
   * LabsFullError (with an estimated wait), LabError('invalid_request') for hostile ids, or
   * whatever prepare / the recorder threw (the VM is stopped first).
   */
  async start(input: SessionSpecInput, opts: StartOptions = {}): Promise<LabSession> {
    const parsed = SessionSpecSchema.safeParse(input);
    if (!parsed.success) throw new LabError('invalid_request', formatIssues(parsed.error));
    const spec = parsed.data;
    const live = this.live();
    const mine = live.filter((e) => e.learnerId === spec.learnerId);
    if (mine.length >= this.maxPerLearner) throw new LearnerLimitError(mine.map((e) => e.id));
    // A session needing more vCPUs than the whole cap still runs, alone: it costs the whole cap.
    const cost = Math.min(spec.vcpus, this.globalCap);
    if (cost > this.learnerRoom()) {
      const now = this.now();
      const clocks = live.map((e) => ({ expiresAt: e.expiresAt, lastInputAt: e.vm?.console.lastInputAt ?? e.createdAt }));
      throw new LabsFullError(estimateWaitMinutes(clocks, { idleMs: this.idleMs }, now));
    }
    const now = this.now();
    let settle = () => {};
    // The slot is taken before the first await, so concurrent starts cannot overshoot the caps.
    const entry: Entry = {
      id: randomBytes(16).toString('base64url'),
      learnerId: spec.learnerId,
      labId: spec.labId,
      arch: spec.arch,
      cost,
      createdAt: now,
      expiresAt: Math.min(now + this.ttlMs, now + (opts.maxMs ?? Number.POSITIVE_INFINITY)),
      hardEnd: now + (opts.maxMs ?? Number.POSITIVE_INFINITY),
      ready: false,
      settled: new Promise<void>((r) => {
        settle = r;
      }),
    };
    this.entries.set(entry.id, entry);
    try {
      const vm = await this.backend.start(spec, entry.id);
      entry.vm = vm;
      vm.onEnd((status) => {
        if (entry.ended) return; // a backend must call this once; never record an end twice
        entry.ended = status;
        this.drainScratchQueue();
        if (entry.ready) void this.recorder?.ended(this.info(entry), status).catch(() => {});
        const forget = setTimeout(() => this.entries.delete(entry.id), 10 * 60_000);
        forget.unref();
      });
      try {
        await opts.prepare?.(vm);
        if (entry.ended)
          throw new LabError('session_ended', `the VM ended while it was being prepared (${entry.ended.reason ?? 'unknown'})`);
        await this.recorder?.started(this.info(entry));
      } catch (e) {
        await vm.stop('stopped').catch(() => {});
        throw e;
      }
      entry.ready = true;
      return this.view(entry, vm);
    } catch (e) {
      this.entries.delete(entry.id);
      this.drainScratchQueue();
      throw e;
    } finally {
      settle();
    }
  }

  /**
   * Waits until the learner's session finished starting (a second request for a session that is
   * still being prepared); then the same rules as `getForLearner`.
   */
  async whenReady(learnerId: string, sessionId: string): Promise<LabSession> {
    const e = this.entries.get(sessionId);
    if (e && e.learnerId === learnerId) await e.settled;
    return this.getForLearner(learnerId, sessionId);
  }

  private view(entry: Entry, vm: LabVm): LabSession {
    return { id: entry.id, learnerId: entry.learnerId, labId: entry.labId, arch: entry.arch, vm, info: () => this.info(entry) };
  }

  private info(e: Entry): SessionInfo {
    const now = this.now();
    const status = e.ended ?? e.vm?.status();
    const lastInput = e.vm?.console.lastInputAt ?? e.createdAt;
    const state: SessionState = e.ended ? 'ended' : e.ready ? 'running' : 'starting';
    return {
      id: e.id,
      learnerId: e.learnerId,
      labId: e.labId,
      arch: e.arch,
      state,
      ...(status?.reason ? { endReason: status.reason } : {}),
      createdAt: e.createdAt,
      expiresAt: e.expiresAt,
      msLeft: state === 'ended' ? 0 : Math.max(0, Math.min(e.expiresAt, lastInput + this.idleMs) - now),
      ...(status?.startMs !== undefined ? { startMs: status.startMs } : {}),
    };
  }

  /**
   * The learner's session by id — the check a terminal socket makes before attaching. Another
   * learner's id, a malformed id and an unknown id all give the same not_found error.
   */
  getForLearner(learnerId: string, sessionId: string): LabSession {
    const e =
      LearnerIdSchema.safeParse(learnerId).success && SessionIdSchema.safeParse(sessionId).success
        ? this.entries.get(sessionId)
        : undefined;
    if (!e || e.learnerId !== learnerId || !e.vm || !e.ready) throw new LabError('not_found', 'no such lab session');
    return this.view(e, e.vm);
  }

  listForLearner(learnerId: string): SessionInfo[] {
    return [...this.entries.values()].filter((e) => e.learnerId === learnerId).map((e) => this.info(e));
  }

  /**
   * Pushes the TTL back by `byMs` (default 30 min), up to the maximum lifetime. Once it took
   * effect it succeeds: a failing record of it is the recorder's to log.
   */
  async extend(learnerId: string, sessionId: string, byMs = 30 * 60_000): Promise<SessionInfo> {
    const s = this.getForLearner(learnerId, sessionId);
    const e = this.entries.get(s.id);
    if (!e || e.ended) throw new LabError('session_ended', 'the lab session has ended');
    e.expiresAt = Math.min(e.hardEnd, extendedExpiry(e.createdAt, e.expiresAt, byMs, this.maxLifetimeMs, this.now()));
    const info = this.info(e);
    await this.recorder?.extended(info).catch(() => {});
    return info;
  }

  /**
   * A short-lived VM outside every learner's quota and the session list, for a grader that must
   * cut the power of a copy (durability checks). The caller stops it, within seconds; it is not
   * reaped and not recorded. It counts against the global cap like a session: it may use free
   * learner capacity and the scratch reserve, and when neither has room it waits its turn (scratch
   * VMs end within seconds, so a Check never waits on learners' sessions) — up to `scratchWaitMs`,
   * then LabsFullError.
   */
  async startScratch(input: SessionSpecInput): Promise<LabVm> {
    const parsed = SessionSpecSchema.safeParse(input);
    if (!parsed.success) throw new LabError('invalid_request', formatIssues(parsed.error));
    const id = `scratch-${randomBytes(12).toString('base64url')}`;
    const cost = Math.min(parsed.data.vcpus, this.globalCap + this.scratchReserve);
    if (this.scratchQueue.length === 0 && this.scratchFits(cost)) this.scratch.set(id, cost);
    else
      await new Promise<void>((resolve, reject) => {
        const item = {
          cost,
          admit: () => {
            clearTimeout(timer);
            this.scratch.set(id, cost);
            resolve();
          },
        };
        const timer = setTimeout(() => {
          this.scratchQueue.splice(this.scratchQueue.indexOf(item), 1);
          reject(new LabsFullError(1));
        }, this.scratchWaitMs);
        timer.unref();
        this.scratchQueue.push(item);
      });
    const release = () => {
      if (this.scratch.delete(id)) this.drainScratchQueue();
    };
    try {
      const vm = await this.backend.start(parsed.data, id);
      vm.onEnd(release);
      return vm;
    } catch (e) {
      release();
      throw e;
    }
  }

  async stop(learnerId: string, sessionId: string): Promise<void> {
    const s = this.getForLearner(learnerId, sessionId);
    await s.vm.stop('stopped');
  }

  /** Ends sessions past their TTL or idle limit. Runs on a timer; callable directly in tests. */
  async reap(): Promise<string[]> {
    const now = this.now();
    const ended: string[] = [];
    await Promise.all(
      this.live().map(async (e) => {
        if (!e.vm) return;
        const why = limitReached({ expiresAt: e.expiresAt, lastInputAt: e.vm.console.lastInputAt }, { idleMs: this.idleMs }, now);
        if (!why) return;
        ended.push(e.id);
        await e.vm.stop(why);
      }),
    );
    return ended;
  }

  /** Learners' sessions, scratch VMs, the vCPUs they hold, the learners' cap and the scratch reserve. */
  stats(): { live: number; scratch: number; vcpus: number; cap: number; scratchReserve: number; scratchWaiting: number } {
    return {
      live: this.live().length,
      scratch: this.scratch.size,
      vcpus: this.usedVcpus(),
      cap: this.globalCap,
      scratchReserve: this.scratchReserve,
      scratchWaiting: this.scratchQueue.length,
    };
  }

  async shutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.backend.shutdown();
  }
}

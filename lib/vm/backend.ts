import type { ExecResult } from './agent-client';
import type { ConsoleStream } from './console';
import type { Arch, ExecOptionsInput, SessionSpecInput, TerminalSize } from './schema';

/**
 * The seam between session management and whatever runs VMs. QemuBackend runs them on this
 * host; a deployment with KVM hosts implements the same interface with a client of a runner
 * service on those hosts (README, "Scaling out").
 */
export interface LabBackend {
  readonly name: string;
  /** Starts a VM for the session; resolves once a shell prompt is on the console and the agent answered. */
  start(spec: SessionSpecInput, sessionId: string): Promise<LabVm>;
  /** Stops every VM this backend started. */
  shutdown(): Promise<void>;
}

export type VmState = 'starting' | 'running' | 'ended';

/**
 * Why a VM ended. stopped: asked to; power-cut: killed on purpose (disk kept for reading);
 * poweroff / reboot: the guest did it; panic: kernel panic; crashed: QEMU died on its own;
 * ttl / idle: the session manager's limits.
 */
export type EndReason = 'stopped' | 'power-cut' | 'poweroff' | 'reboot' | 'panic' | 'crashed' | 'ttl' | 'idle';

export interface VmStatus {
  state: VmState;
  reason?: EndReason;
  /** Human-readable detail, e.g. QEMU's exit status. */
  detail?: string;
  startedAt: number;
  /** Milliseconds from request to ready. */
  startMs?: number;
  endedAt?: number;
}

export interface HostMemory {
  /** Proportional set size: the VM's fair share of host RAM. */
  pssKiB: number;
  /** Pages only this VM uses. */
  privateKiB: number;
  rssKiB: number;
}

export interface LabVm {
  readonly id: string;
  readonly arch: Arch;
  /**
   * True when the VM was restored from its lab's own snapshot, taken after the lab's
   * snapshot-time setup ran: the caller must not run that setup again (only the per-session part).
   */
  readonly setupFromSnapshot: boolean;
  /** The serial console: the learner's terminal. */
  readonly console: ConsoleStream;
  /** Runs argv in the guest through the agent (root by default). */
  exec(argv: readonly string[], opts?: ExecOptionsInput): Promise<ExecResult>;
  /** Tells the guest tty the terminal size (SIGWINCH to the shell). */
  resize(size: TerminalSize): Promise<void>;
  /** SIGKILLs the VM: nothing the guest did not make durable survives. The disk stays readable. */
  powerCut(): Promise<void>;
  /**
   * Reads a file from the session disk as a reboot would see it: on a copy of the image, the
   * journal is replayed (e2fsck -fy) and the file read with debugfs. null if it does not exist.
   * Only after the VM ended (powerCut or stop(keepDisk)).
   */
  readDiskFile(path: string): Promise<Buffer | null>;
  status(): VmStatus;
  /** Called once when the VM ends, with the final status. */
  onEnd(listener: (status: VmStatus) => void): () => void;
  /** Ends the VM (graceful quit, then SIGKILL) and removes its files. */
  stop(reason?: EndReason): Promise<void>;
  /** Host memory used by the VM process, when the backend can tell. */
  hostMemory(): Promise<HostMemory | null>;
}

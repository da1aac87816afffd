import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, promises as fs, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { SESSION_ID_PATTERN } from '@/lib/schema';
import { AgentClient, type ExecResult } from './agent-client';
import type { EndReason, HostMemory, LabBackend, LabVm, VmStatus } from './backend';
import { SocketConsole } from './console';
import { makeLabDisk, readFileAfterRecovery } from './disk';
import { LabError } from './errors';
import { ensureLabImages } from './images/build';
import { defaultCacheDir, type LabImages, labSnapshotKey, labVariant, loadCurrentImages, snapshotKey } from './images/manifest';
import { INCOMING_FD, launchFor, MARKER_PREFIX, mountLabDisk, PANIC, PROMPT, spawnQemu, type VmFiles, vmFiles } from './launch';
import { ARCH_PROFILES, buildQemuCommand, LAB_VM_NICE, type SnapshotVariant, tiedToParent, variantKey } from './qemu-args';
import { QmpClient, type QmpEvent } from './qmp';
import {
  type Arch,
  type ExecOptionsInput,
  type LabUser,
  SafePathSchema,
  type SessionSpecInput,
  SessionSpecSchema,
  type TerminalSize,
  TerminalSizeSchema,
} from './schema';
import { connectWhenReady } from './sockets';

/**
 * One QEMU process and its three channels. Internal to this module; LabVm is the public face.
 */
class QemuVm implements LabVm {
  readonly console: SocketConsole;
  private ended: VmStatus | null = null;
  private readonly endListeners = new Set<(s: VmStatus) => void>();
  private shutdownReason: string | null = null;
  private intended: EndReason | null = null;
  private readonly exited: Promise<void>;
  private readonly startedAt: number;
  startMs: number | undefined;
  private stderrTail = '';
  setupFromSnapshot = false;

  constructor(
    readonly id: string,
    readonly arch: Arch,
    private readonly child: ChildProcess,
    private readonly files: VmFiles,
    private readonly qmp: QmpClient,
    consoleSocket: import('node:net').Socket,
    private readonly agent: AgentClient,
    private readonly hasDisk: boolean,
    private readonly onGone: (id: string) => void,
  ) {
    this.startedAt = Date.now();
    this.console = new SocketConsole(consoleSocket);
    qmp.onEvent((e: QmpEvent) => {
      if (e.event === 'SHUTDOWN' && typeof e.data.reason === 'string') this.shutdownReason = e.data.reason;
      if (e.event === 'GUEST_PANICKED') this.shutdownReason = 'guest-panic';
    });
    child.stderr?.on('data', (b: Buffer) => {
      this.stderrTail = (this.stderrTail + b.toString()).slice(-2000);
    });
    this.exited = new Promise((resolve) => {
      const done = (code: number | null, signal: NodeJS.Signals | null) => {
        this.finish(code, signal);
        resolve();
      };
      if (child.exitCode !== null || child.signalCode !== null) done(child.exitCode, child.signalCode);
      else child.once('exit', done);
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  private finish(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.ended) return;
    let reason: EndReason;
    if (this.intended) reason = this.intended;
    else if (this.shutdownReason === 'guest-panic' || PANIC.test(this.console.recentText())) reason = 'panic';
    else if (this.shutdownReason === 'guest-shutdown') reason = 'poweroff';
    else if (this.shutdownReason === 'guest-reset') reason = 'reboot';
    else reason = 'crashed';
    const detail = signal ? `QEMU killed by ${signal}` : `QEMU exited with ${code}${this.stderrTail ? `: ${this.stderrTail.trim()}` : ''}`;
    this.ended = {
      state: 'ended',
      reason,
      detail,
      startedAt: this.startedAt,
      endedAt: Date.now(),
      ...(this.startMs !== undefined ? { startMs: this.startMs } : {}),
    };
    this.qmp.close();
    this.agent.close();
    this.console.close();
    for (const l of this.endListeners) l(this.ended);
    this.endListeners.clear();
    this.onGone(this.id);
  }

  status(): VmStatus {
    if (this.ended) return this.ended;
    return {
      state: this.startMs === undefined ? 'starting' : 'running',
      startedAt: this.startedAt,
      ...(this.startMs !== undefined ? { startMs: this.startMs } : {}),
    };
  }

  onEnd(listener: (s: VmStatus) => void): () => void {
    if (this.ended) {
      listener(this.ended);
      return () => {};
    }
    this.endListeners.add(listener);
    return () => this.endListeners.delete(listener);
  }

  private assertRunning(): void {
    if (this.ended) throw new LabError('session_ended', `the lab VM has ended (${this.ended.reason})`);
  }

  async exec(argv: readonly string[], opts?: ExecOptionsInput): Promise<ExecResult> {
    this.assertRunning();
    return this.agent.exec(argv, opts);
  }

  async resize(size: TerminalSize): Promise<void> {
    const s = TerminalSizeSchema.parse(size);
    const tty = `/dev/${ARCH_PROFILES[this.arch].consoleTty}`;
    await this.exec(['stty', '-F', tty, 'rows', String(s.rows), 'cols', String(s.cols)], { timeoutMs: 5_000 });
  }

  async powerCut(): Promise<void> {
    if (this.ended) return;
    this.intended = 'power-cut';
    this.child.kill('SIGKILL');
    await this.exited;
  }

  async readDiskFile(guestPath: string): Promise<Buffer | null> {
    const p = SafePathSchema.parse(guestPath);
    if (!this.hasDisk) throw new LabError('invalid_state', 'this session has no disk');
    if (!this.ended) throw new LabError('invalid_state', 'cut the power (or stop) before reading the disk');
    if (!existsSync(this.files.disk)) throw new LabError('invalid_state', 'the disk was already removed');
    return readFileAfterRecovery(this.files.disk, p, this.files.dir);
  }

  /** Gracefully quits QEMU; after 2 s, SIGKILL. `keepFiles` leaves the disk for readDiskFile. */
  async stop(reason: EndReason = 'stopped', keepFiles = false): Promise<void> {
    if (!this.ended) {
      this.intended = reason;
      const kill = setTimeout(() => this.child.kill('SIGKILL'), 2_000);
      this.qmp.execute('quit', undefined, 2_000).catch(() => this.child.kill('SIGKILL'));
      await this.exited;
      clearTimeout(kill);
    }
    if (!keepFiles) await fs.rm(this.files.dir, { recursive: true, force: true });
  }

  async hostMemory(): Promise<HostMemory | null> {
    if (this.ended || !this.child.pid) return null;
    try {
      const text = readFileSync(`/proc/${this.child.pid}/smaps_rollup`, 'utf8');
      const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0);
      return {
        pssKiB: kib('Pss'),
        privateKiB: kib('Private_Clean') + kib('Private_Dirty'),
        rssKiB: kib('Rss'),
      };
    } catch {
      return null;
    }
  }

  /** Resolves when QEMU has exited. */
  whenExited(): Promise<void> {
    return this.exited;
  }
}

export interface QemuBackendOptions {
  images: LabImages;
  /** Per-VM sockets, pidfiles and disks (default .cache/labs/run). Unix socket paths must stay < 108 bytes. */
  runDir: string;
  /** Accelerator per arch; must match the snapshots' (they record theirs). */
  now?: () => Date;
  /** Time allowed from spawn to prompt (default 60 s: 20 VMs restoring at once on 2 cores take a while). */
  startTimeoutMs?: number;
}

/** Runs lab VMs as local QEMU processes restored from the image builder's snapshots. */
/** Which server started a VM: "<pid> <start time in clock ticks since boot>" (a pid alone can be reused). */
const OWNER_FILE = 'owner';

async function processIdentity(pid: number): Promise<string> {
  const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  const startTime = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '';
  return `${pid} ${startTime}`;
}

export class QemuBackend implements LabBackend {
  readonly name = 'qemu-local';
  private readonly vms = new Map<string, QemuVm>();
  private readonly now: () => Date;
  private readonly startTimeoutMs: number;

  constructor(private readonly opts: QemuBackendOptions) {
    this.now = opts.now ?? (() => new Date());
    this.startTimeoutMs = opts.startTimeoutMs ?? 60_000;
  }

  /**
   * Kills QEMU processes a previous server left behind in runDir (identified by pidfile and the
   * marker in their argv, so an unrelated process that reused the pid is never touched) and
   * removes their files. Call once at start, before accepting sessions.
   */
  static async cleanOrphans(runDir: string): Promise<number> {
    let killed = 0;
    const entries = await fs.readdir(runDir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      const dir = path.join(runDir, e.name);
      // A VM whose server is alive is not an orphan, whoever shares this folder (a second server
      // from the same checkout with the same run dir): leave it and its files alone.
      const owner = (await fs.readFile(path.join(dir, OWNER_FILE), 'utf8').catch(() => '')).trim();
      const ownerPid = Number(owner.split(' ')[0]);
      if (owner && Number.isInteger(ownerPid) && ownerPid !== process.pid && (await processIdentity(ownerPid)) === owner) continue;
      const pid = Number((await fs.readFile(path.join(dir, 'qemu.pid'), 'utf8').catch(() => '')).trim());
      if (Number.isInteger(pid) && pid > 1) {
        const argv = await fs.readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
        if (argv.split('\0').some((a) => a.startsWith(`${MARKER_PREFIX}${e.name},`))) {
          try {
            process.kill(pid, 'SIGKILL');
            killed++;
          } catch {
            /* already gone */
          }
        }
      }
      await fs.rm(dir, { recursive: true, force: true });
    }
    return killed;
  }

  /**
   * The usual way to get a backend: removes orphans from a previous run, then loads the images
   * (building whatever is missing, which takes a minute or two the first time).
   */
  static async create(
    opts: { root?: string; cacheDir?: string; runDir?: string; log?: (l: string) => void; now?: () => Date } = {},
  ): Promise<QemuBackend> {
    const cacheDir = opts.cacheDir ?? defaultCacheDir(opts.root);
    const runDir = opts.runDir ?? path.join(cacheDir, 'run');
    await fs.mkdir(runDir, { recursive: true, mode: 0o700 });
    await QemuBackend.cleanOrphans(runDir);
    const images =
      (await loadCurrentImages(cacheDir)) ??
      (await ensureLabImages({ ...(opts.root ? { root: opts.root } : {}), cacheDir, ...(opts.log ? { log: opts.log } : {}) }));
    return new QemuBackend({ images, runDir, ...(opts.now ? { now: opts.now } : {}) });
  }

  get running(): number {
    return this.vms.size;
  }

  get(sessionId: string): LabVm | undefined {
    return this.vms.get(sessionId);
  }

  async start(specInput: SessionSpecInput, sessionId: string): Promise<LabVm> {
    const spec = SessionSpecSchema.parse(specInput);
    if (!SESSION_ID_PATTERN.test(sessionId)) throw new LabError('invalid_request', 'malformed session id');
    const variant: SnapshotVariant = labVariant({ user: spec.user, disk: spec.disk !== undefined, vcpus: spec.vcpus });
    const image = this.opts.images.images[spec.arch];
    // The lab's own snapshot (its setup already done) when it was taken from this image with this
    // setup and shape; otherwise the base snapshot of the shape, and the caller runs the setup.
    const labSnap = spec.snapshotSetup ? this.opts.images.snapshots[labSnapshotKey(spec.arch, spec.labId)] : undefined;
    const fromLab =
      labSnap !== undefined &&
      image !== undefined &&
      labSnap.imageHash === image.hash &&
      labSnap.lab?.setupHash === spec.snapshotSetup?.hash &&
      variantKey(labSnap.variant) === variantKey(variant);
    const snap = fromLab ? labSnap : this.opts.images.snapshots[snapshotKey(spec.arch, variant)];
    if (!snap || !image || snap.imageHash !== image.hash)
      throw new LabError('images_missing', `no ${spec.arch} snapshot for ${variantKey(variant)}; run npm run labs:images`);
    const files = vmFiles(path.join(this.opts.runDir, sessionId));
    await fs.mkdir(files.dir, { recursive: true, mode: 0o700 });
    await fs.writeFile(path.join(files.dir, OWNER_FILE), await processIdentity(process.pid));
    const t0 = Date.now();
    let child: ChildProcess | undefined;
    try {
      // A lab snapshot with a disk was taken with its seeded disk mounted: the session gets a copy
      // of that very image (the guest's caches match it). Otherwise a fresh disk, mounted below.
      const diskTemplate = fromLab ? snap.disk : undefined;
      if (diskTemplate) {
        await fs.copyFile(diskTemplate, files.disk);
        await fs.chmod(files.disk, 0o600);
      } else if (spec.disk) await makeLabDisk(files.disk, spec.disk.seedDir);
      const launch = {
        ...launchFor(image, variant, snap.accel, files, `${MARKER_PREFIX}${sessionId}`, { file: snap.ram, shared: false }),
        incoming: true,
      };
      const fd = openSync(snap.state, 'r');
      try {
        child = spawnQemu(tiedToParent(buildQemuCommand(launch), { nice: LAB_VM_NICE }), files.dir, fd);
      } finally {
        closeSync(fd);
      }
      const vm = await this.attach(sessionId, spec.arch, spec.user, child, files, variant.disk, diskTemplate === undefined, true);
      vm.setupFromSnapshot = fromLab;
      vm.startMs = Date.now() - t0;
      return vm;
    } catch (e) {
      child?.kill('SIGKILL');
      await fs.rm(files.dir, { recursive: true, force: true });
      if (e instanceof LabError) throw e;
      throw new LabError('start_failed', `the lab VM did not start: ${(e as Error).message}`);
    }
  }

  /** Connects to a restored QEMU, resumes it, and waits for prompt + agent. */
  private async attach(
    sessionId: string,
    arch: Arch,
    user: LabUser,
    child: ChildProcess,
    files: VmFiles,
    hasDisk: boolean,
    mountDisk: boolean,
    restored: boolean,
  ): Promise<QemuVm> {
    const deadline = Date.now() + this.startTimeoutMs;
    const t0 = Date.now();
    const trace = (what: string) => {
      if (process.env.KMAP_LABS_TRACE) {
        let rss = '';
        try {
          rss = /^Rss:\s+(\d+)/m.exec(readFileSync(`/proc/${child.pid}/smaps_rollup`, 'utf8'))?.[1] ?? '';
        } catch {}
        console.error(`[labs] ${sessionId} +${Date.now() - t0} ms ${what} rss=${rss}`);
      }
    };
    const left = () => Math.max(1, deadline - Date.now());
    let exitedEarly = false;
    child.once('exit', () => {
      exitedEarly = true;
    });
    const alive = () => !exitedEarly;
    const qmp = await QmpClient.connect(files.qmp, left(), alive);
    trace('qmp connected');
    const [consoleSocket, agent] = await Promise.all([
      connectWhenReady(files.console, left(), alive),
      AgentClient.connect(files.agent, left(), alive),
    ]);
    const vm = new QemuVm(sessionId, arch, child, files, qmp, consoleSocket, agent, hasDisk, (id) => this.vms.delete(id));
    this.vms.set(sessionId, vm);
    try {
      if (restored) {
        await qmp.execute('migrate-set-capabilities', { capabilities: [{ capability: 'x-ignore-shared', state: true }] });
        await qmp.execute('migrate-incoming', { uri: `fd:${INCOMING_FD}` });
        trace('incoming started');
        for (;;) {
          const s = await qmp.status();
          if (s !== 'inmigrate') break;
          if (Date.now() > deadline) throw new Error('snapshot restore timed out');
          await new Promise((r) => setTimeout(r, 5));
        }
        trace('restored');
        await qmp.execute('cont');
        trace('cont');
      }
      // The snapshot was taken at a prompt; Enter makes the shell print a fresh one for us.
      vm.console.markTail();
      vm.console.write('\r');
      // The prompt, and the agent's clock sync followed by the disk, in parallel: nobody can
      // attach before this start resolves.
      const ready = [
        vm.console.waitFor(PROMPT, left()).then(() => trace('prompt')),
        agent
          .sync(this.now(), randomBytes(64), left())
          .then(() => trace('clock + rng synced'))
          .then(() => (hasDisk && mountDisk ? mountLabDisk(agent, user).then(() => trace('disk mounted')) : undefined)),
      ];
      await Promise.all(ready);
      return vm;
    } catch (e) {
      const status = vm.status();
      await vm.stop('crashed');
      const why = status.state === 'ended' ? ` (${status.detail})` : '';
      throw new Error(`${(e as Error).message}${why}`);
    }
  }

  async shutdown(): Promise<void> {
    await Promise.all([...this.vms.values()].map((vm) => vm.stop('stopped')));
  }
}

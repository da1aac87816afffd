import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { AgentClient } from '../agent-client';
import { SocketConsole } from '../console';
import { makeBlankDisk, makeLabDisk } from '../disk';
import {
  launchFor,
  MARKER_PREFIX,
  mountLabDisk,
  PROMPT,
  SNAPSHOT_MEMORY_MIB,
  SNAPSHOT_RECIPE_VERSION,
  SNAPSHOT_TB_SIZE_MIB,
  snapshotShape,
  spawnQemu,
  vmFiles,
} from '../launch';
import { runText } from '../proc';
import { type Accel, ARCH_PROFILES, buildQemuCommand, type QemuLaunch, type SnapshotVariant, tiedToParent, variantKey } from '../qemu-args';
import { QmpClient } from '../qmp';
import { connectWhenReady } from '../sockets';
import { type ImageManifest, type SnapshotManifest, SnapshotManifestSchema, contentHash as sha } from './manifest';

/**
 * Taking a snapshot: boot a VM cold from a built image, wait for the prompt and the agent, pause
 * it and save its device state (guest RAM stays in a shared file). Clones restore from it.
 */

const SNAPSHOT_SETTLE_MS = 500;

type BuildLog = (line: string) => void;

/** A lab's snapshot: taken after its snapshot-time setup ran as root (see LabSnapshotSpec). */
export interface LabSetup {
  labId: string;
  setup: string;
  setupHash: string;
  /** The lab disk's seed folder: the snapshot is taken with the seeded disk mounted (disk variant only). */
  diskSeedDir?: string;
}

/**
 * The snapshot of (image, variant), or of a lab when `lab` is given — taken if its folder (named
 * by a hash of everything it depends on, the lab's setup included) does not exist yet.
 */
export async function ensureSnapshot(
  image: ImageManifest,
  variant: SnapshotVariant,
  accel: Accel,
  cacheDir: string,
  log: BuildLog,
  lab?: LabSetup,
): Promise<SnapshotManifest> {
  const qemuVersion = (await runText(ARCH_PROFILES[image.arch].qemuBinary, ['--version'])).split('\n')[0] ?? '';
  const hash = sha(
    image.hash,
    `recipe:${SNAPSHOT_RECIPE_VERSION}`,
    qemuVersion,
    accel,
    variantKey(variant),
    JSON.stringify(snapshotShape(image, variant, accel)),
    ...(lab ? [`lab:${lab.labId}`, lab.setupHash] : []),
  ).slice(0, 16);
  const name = lab ? `${image.arch}-lab-${lab.labId}-${hash}` : `${image.arch}-${variantKey(variant)}-${hash}`;
  const dir = path.join(cacheDir, 'snapshots', name);
  const manifestPath = path.join(dir, 'manifest.json');
  const existing = await fs
    .readFile(manifestPath, 'utf8')
    .then((t) => SnapshotManifestSchema.parse(JSON.parse(t)))
    .catch(() => null);
  if (existing && existsSync(existing.state)) return existing;
  await fs.rm(dir, { recursive: true, force: true });
  await fs.mkdir(dir, { recursive: true });
  const state = path.join(dir, 'state');
  const ram = path.join(dir, 'ram');
  const disk = lab && variant.disk ? path.join(dir, 'disk') : undefined;
  const take = () =>
    takeSnapshot({
      image,
      variant,
      accel,
      stateFile: state,
      ramFile: ram,
      workDir: dir,
      log,
      ...(lab ? { setup: { name: `lab ${lab.labId}`, script: lab.setup } } : {}),
      ...(disk ? { labDisk: { seedDir: lab?.diskSeedDir, keepAs: disk } } : {}),
    });
  // A cold boot under TCG on a busy 2-core host can miss a timeout once; a second failure is real.
  const { bootMs } = await take().catch((err: Error) => {
    log(`[labs:images]   ${name}: ${err.message.split('\n')[0]} — trying once more`);
    return take();
  });
  await fs.chmod(state, 0o444);
  await fs.chmod(ram, 0o444);
  if (disk) await fs.chmod(disk, 0o444);
  const manifest: SnapshotManifest = {
    arch: image.arch,
    hash,
    imageHash: image.hash,
    variant,
    ...(lab ? { lab: { id: lab.labId, setupHash: lab.setupHash } } : {}),
    ...(disk ? { disk } : {}),
    accel,
    memoryMiB: SNAPSHOT_MEMORY_MIB,
    tbSizeMiB: SNAPSHOT_TB_SIZE_MIB,
    state,
    ram,
    bytes: (await fs.stat(state)).size,
    bootMs,
    builtAt: new Date().toISOString(),
  };
  await fs.writeFile(manifestPath, JSON.stringify(manifest, null, 2));
  return manifest;
}

/**
 * Boots a VM cold, waits for the prompt and the agent, pauses it and writes its state to
 * `stateFile` (QMP stop + migrate). Used by the image builder.
 */
export async function takeSnapshot(args: {
  image: ImageManifest;
  variant: SnapshotVariant;
  accel: Accel;
  stateFile: string;
  ramFile: string;
  workDir: string;
  log: (l: string) => void;
  /** Run a busy loop this long before snapshotting (KVM probe). */
  busyLoopMs?: number;
  /** A lab's snapshot-time setup, run as root through the agent after boot; a failure fails the snapshot. */
  setup?: { name: string; script: string };
  /**
   * Snapshot with the lab's seeded disk mounted (instead of a blank one), and keep that image as
   * `keepAs`: a session restoring this snapshot must get a copy of exactly this disk.
   */
  labDisk?: { seedDir: string | undefined; keepAs: string };
}): Promise<{ bootMs: number }> {
  const { image, variant, accel, stateFile, workDir } = args;
  if (!/^[A-Za-z0-9._/-]+$/.test(stateFile)) throw new Error(`unsafe snapshot path ${stateFile}`);
  const files = vmFiles(path.join(workDir, 'boot'));
  await fs.rm(files.dir, { recursive: true, force: true });
  await fs.mkdir(files.dir, { recursive: true });
  if (args.labDisk) await makeLabDisk(files.disk, args.labDisk.seedDir);
  else if (variant.disk) await makeBlankDisk(files.disk);
  await fs.rm(args.ramFile, { force: true });
  const launch: QemuLaunch = {
    ...launchFor(image, variant, accel, files, `${MARKER_PREFIX}snapshot-build`, { file: args.ramFile, shared: true }),
    sandbox: 'allow-spawn',
  };
  const t0 = Date.now();
  const child = spawnQemu(tiedToParent(buildQemuCommand(launch)), files.dir);
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => {
    stderr = (stderr + b.toString()).slice(-4000);
  });
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  const alive = () => !exited;
  try {
    const qmp = await QmpClient.connect(files.qmp, 30_000, alive);
    const consoleSocket = await connectWhenReady(files.console, 30_000, alive);
    const console = new SocketConsole(consoleSocket);
    const agent = await AgentClient.connect(files.agent, 30_000, alive);
    try {
      await console.waitFor(PROMPT, 180_000);
      for (let i = 0; ; i++) {
        try {
          await agent.ping(1_000);
          break;
        } catch (e) {
          if (i > 60 || exited) throw e;
        }
      }
      const bootMs = Date.now() - t0;
      // A guest whose initramfs did not fit in RAM still boots, with files missing: refuse it.
      const boot = await agent.exec(['/bin/dmesg'], { user: 'root', timeoutMs: 10_000 });
      if (/Initramfs unpacking failed/.test(boot.stdout))
        throw new Error(
          `${image.arch}: the initramfs did not fit in the guest's RAM (${boot.stdout.match(/.*Initramfs unpacking failed.*/)?.[0]?.trim()}); make the image smaller`,
        );
      if (args.busyLoopMs) {
        // The KVM probe: kvm_pvm hosts boot fine and die ~40 s later under load.
        const script = 'end=$(( $(date +%s) + $1 )); while [ $(date +%s) -lt $end ]; do :; done; echo ok';
        const r = await agent.exec(['/bin/sh', '-c', script, 'probe', String(Math.ceil(args.busyLoopMs / 1000))], {
          timeoutMs: args.busyLoopMs + 30_000,
        });
        if (r.stdout.trim() !== 'ok') throw new Error('busy loop failed');
      }
      if (args.labDisk) await mountLabDisk(agent, variant.user, 30_000);
      if (args.setup) {
        // Same as a session's setup used to be: the script on stdin, never a shell string built here.
        const r = await agent.exec(['/bin/sh', '-s'], { user: 'root', stdin: args.setup.script, timeoutMs: 120_000 });
        if (r.exitCode !== 0 || r.timedOut)
          throw new Error(
            `the setup of ${args.setup.name} failed at snapshot time (${r.timedOut ? 'timed out' : `exit ${r.exitCode}`}): ${r.stderr.trim().slice(-500)}`,
          );
      }
      // Let the boot's last writes settle so every clone starts from a quiet guest.
      await new Promise((r) => setTimeout(r, SNAPSHOT_SETTLE_MS));
      await qmp.execute('stop');
      await qmp.execute('migrate-set-capabilities', { capabilities: [{ capability: 'x-ignore-shared', state: true }] });
      await qmp.execute('migrate', { uri: `exec:cat > ${stateFile}` });
      for (;;) {
        const s = await qmp.migrationStatus();
        if (s === 'completed') break;
        if (s === 'failed' || s === 'cancelled') throw new Error(`snapshot migration ${s}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      await qmp.execute('quit').catch(() => undefined);
      if (args.labDisk) {
        // QEMU has flushed the disk (migration inactivates block devices); wait for it to exit so
        // nothing writes the image any more, then keep it.
        await new Promise<void>((resolve) => (exited ? resolve() : child.once('exit', () => resolve())));
        await fs.copyFile(files.disk, args.labDisk.keepAs);
      }
      args.log(
        `[labs:images]   ${image.arch} ${args.setup ? `${args.setup.name} ` : ''}${variantKey(variant)}: booted to a prompt in ${(bootMs / 1000).toFixed(1)} s`,
      );
      return { bootMs };
    } finally {
      agent.close();
      console.close();
      qmp.close();
    }
  } catch (e) {
    throw new Error(`snapshot boot failed: ${(e as Error).message}\n${stderr}`);
  } finally {
    child.kill('SIGKILL');
    await fs.rm(files.dir, { recursive: true, force: true });
  }
}
